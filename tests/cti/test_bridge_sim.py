"""The bridge against the PBX simulator: cut the AMI socket mid-call, change things while it
is down, and check that the resync afterwards loses nothing."""

from __future__ import annotations

import asyncio
import contextlib

from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.events import CallBridged, CallWaiting, LinkDown, Resynced
from contactcenter.events import EventBus
from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller
from contactcenter.sim.simulator import PbxSimulator
from tests.cti.conftest import ami_config
from tests.cti.test_bridge import next_of, until
from tests.sim.conftest import ScriptedAgiServer


class CuttableLink:
    """A loopback TCP proxy in front of the simulator's AMI port that a test can cut."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self.down = False
        self._pipes: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        self.down = True
        for writer in self._pipes:
            writer.close()

    async def close(self) -> None:
        self.cut()
        self._server.close()
        await self._server.wait_closed()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        self._pipes |= {writer, up_writer}
        pumps = [asyncio.create_task(self._pump(reader, up_writer)),
                 asyncio.create_task(self._pump(up_reader, writer))]
        self._tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for writer_ in (writer, up_writer):
            writer_.close()
            self._pipes.discard(writer_)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)


async def test_resync_after_a_dropped_link_loses_nothing() -> None:
    agi = ScriptedAgiServer(['SET VARIABLE CC_QUEUE "support"'])
    await agi.start()
    sim = PbxSimulator(agi_port=agi.port, agents={
        "SIP/agent101": ScriptedAgent(answer_after=0.02, talk_seconds=None)})
    await sim.start()
    link = CuttableLink(sim.ami_port)
    await link.start()
    bus = EventBus()
    ami = AmiBridge(ami_config(link.port), bus, first_retry=0.01)
    try:
        with bus.subscribe() as queue:
            await ami.start()
            talking = sim.place_call(ScriptedCaller(number="+14155550123"))
            leaving = sim.place_call(ScriptedCaller(number="+442071838750", patience=0.2))
            waits = {(await next_of(queue, CallWaiting)).channel for _ in range(2)}
            assert waits == {talking.channel, leaving.channel}
            await ami.originate_bridge(device="SIP/agent101", caller_channel=talking.channel,
                                       timeout_ms=2000, caller_id="Ada", call_id="call-1")
            await next_of(queue, CallBridged)

            link.cut()  # mid-call
            await next_of(queue, LinkDown)
            # while the link is down: one caller abandons, a new one arrives and queues
            late = sim.place_call(ScriptedCaller(number="+33142685300"))
            await until(lambda: not sim.is_alive(leaving.channel)
                        and late.channel in sim.channels and sim.channels[late.channel].on_hold)
            link.down = False
            resynced = await next_of(queue, Resynced, within=5.0)

        live = {view.uniqueid: view for view in sim.channels.values()}
        assert {c.uniqueid for c in resynced.channels} == set(live)
        assert set(ami.model.channels) == set(live)
        by_channel = {c.channel: c for c in resynced.channels}
        assert leaving.channel not in by_channel
        assert by_channel[late.channel].variables["CC_QUEUE"] == "support"
        assert by_channel[talking.channel].variables["CC_QUEUE"] == "support"
        assert by_channel[talking.channel].bridge_id
        leg = next(c for c in resynced.channels if c.channel.startswith("SIP/agent101-"))
        assert leg.variables["CC_CALL_ID"] == "call-1"
        assert ami.model.channels[leg.uniqueid].call_id == "call-1"  # still known as ours
    finally:
        await ami.close()
        await link.close()
        await sim.close()
        await agi.close()
