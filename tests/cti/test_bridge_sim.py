"""The bridge against the PBX simulator: cut the AMI socket mid-call, change things while it
is down, and check that the resync afterwards loses nothing."""

from __future__ import annotations

from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.events import CallBridged, CallWaiting, LinkDown, Resynced
from contactcenter.events import EventBus
from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller
from contactcenter.sim.simulator import PbxSimulator
from tests.cti.conftest import ami_config
from tests.helpers import CuttableLink, eventually, next_event
from tests.sim.conftest import ScriptedAgiServer


async def test_resync_after_a_dropped_link_loses_nothing() -> None:
    agi = ScriptedAgiServer(['SET VARIABLE CC_QUEUE "support"'])
    await agi.start()
    sim = PbxSimulator(agi_port=agi.port, agents={
        "SIP/agent101": ScriptedAgent(answer_after=0.02, talk_seconds=None)})
    await sim.start()
    bus = EventBus()
    try:
        with bus.subscribe() as queue:
            async with CuttableLink(sim.ami_port) as link, \
                    AmiBridge(ami_config(link.port), bus, first_retry=0.01) as ami:
                talking = sim.place_call(ScriptedCaller(number="+14155550123"))
                leaving = sim.place_call(ScriptedCaller(number="+442071838750", patience=0.2))
                waits = {(await next_event(queue, CallWaiting)).channel for _ in range(2)}
                assert waits == {talking.channel, leaving.channel}
                await ami.originate_bridge(device="SIP/agent101",
                                           caller_channel=talking.channel, timeout_ms=2000,
                                           caller_id="Ada", call_id="call-1")
                await next_event(queue, CallBridged)

                link.cut()  # mid-call
                await next_event(queue, LinkDown)
                # while the link is down: one caller abandons, a new one arrives and queues
                late = sim.place_call(ScriptedCaller(number="+33142685300"))
                await eventually(lambda: not sim.is_alive(leaving.channel)
                            and late.channel in sim.channels
                            and sim.channels[late.channel].on_hold)
                link.down = False
                resynced = await next_event(queue, Resynced, within=5.0)

                live = {view.uniqueid: view for view in sim.channels.values()}
                assert {c.uniqueid for c in resynced.channels} == set(live)
                assert set(ami.model.channels) == set(live)
                by_channel = {c.channel: c for c in resynced.channels}
                assert leaving.channel not in by_channel
                assert by_channel[late.channel].variables["CC_QUEUE"] == "support"
                assert by_channel[talking.channel].variables["CC_QUEUE"] == "support"
                assert by_channel[talking.channel].bridge_id
                leg = next(c for c in resynced.channels
                           if c.channel.startswith("SIP/agent101-"))
                assert leg.variables["CC_CALL_ID"] == "call-1"
                assert ami.model.channels[leg.uniqueid].call_id == "call-1"  # still ours
    finally:
        await sim.close()
        await agi.close()
