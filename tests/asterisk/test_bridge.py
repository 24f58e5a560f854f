"""The AMI bridge alone against a real Asterisk: its login, and one call through the shipped
dialplan (FastAGI with the DNIS as agi_arg_1, CC_QUEUE, music on hold, an agent's SIP phone
bridged by Originate(Application=Bridge), hang-up), with a stand-in for the IVR."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from contactcenter.config import AmiConfig
from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.events import CallBridged, CallHungUp, CallWaiting, OriginateResult
from contactcenter.errors import AmiError
from contactcenter.events import EventBus
from tests.asterisk.harness import REAL_ASTERISK, SECRET, Asterisk
from tests.asterisk.sipp import Phones
from tests.asterisk.watch import AmiWatch, BusLog

pytestmark = REAL_ASTERISK


class QueueingAgi:
    """A FastAGI stand-in for the IVR: records the environment and queues the call."""

    def __init__(self) -> None:
        self.environments: list[dict[str, str]] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env = {}
        while (line := (await reader.readline()).decode().rstrip("\n")):
            key, _, value = line.partition(": ")
            env[key] = value
        self.environments.append(env)
        writer.write(b'SET VARIABLE CC_QUEUE "support"\n')
        await writer.drain()
        await reader.readline()
        writer.close()


@pytest.fixture
async def agi(asterisk: Asterisk) -> AsyncIterator[QueueingAgi]:
    stub = QueueingAgi()
    server = await asyncio.start_server(stub.serve, "127.0.0.1", asterisk.ports.agi)
    yield stub
    server.close()
    await server.wait_closed()


async def test_a_wrong_secret_is_refused(asterisk: Asterisk) -> None:
    with pytest.raises(AmiError):
        async with AmiBridge(AmiConfig(port=asterisk.ports.ami, secret="wrong"), EventBus()):
            pass


async def test_one_call_through_the_shipped_dialplan(asterisk: Asterisk, agi: QueueingAgi,
                                                     watch: AmiWatch, phones: Phones,
                                                     bus: BusLog) -> None:
    phones.agent("agent101", answer_after_ms=200)  # stays up until Asterisk hangs up
    async with AmiBridge(AmiConfig(port=asterisk.ports.ami, secret=SECRET), bus.bus) as ami:
        # a "carrier" call to 5000: the ;2 half of a Local channel runs [from-pstn]
        await watch.action({"Action": "Originate", "Channel": "Local/5000@from-pstn",
                            "Application": "Wait", "Data": "60",
                            "CallerID": '"Ada Lovelace" <+14155550123>', "Async": "true"})
        waiting = await bus.wait_for(CallWaiting)
        assert waiting.channel.startswith("Local/5000@from-pstn-")
        assert agi.environments[0]["agi_network_script"] == "main"
        assert agi.environments[0]["agi_arg_1"] == "5000"
        assert await ami.get_variable(waiting.channel, "CC_QUEUE") == "support"
        snapshot = {c.uniqueid: c for c in await ami.resync()}
        assert snapshot[waiting.uniqueid].variables["CC_QUEUE"] == "support"

        action_id = await ami.originate_bridge(
            device="SIP/agent101", caller_channel=waiting.channel, timeout_ms=5000,
            caller_id='"Ada Lovelace" <+14155550123>', call_id="call-1")
        result = await bus.wait_for(OriginateResult, lambda e: e.action_id == action_id)
        assert result.success and result.channel.startswith("SIP/agent101-")
        await bus.wait_for(CallBridged, lambda e: e.uniqueid == waiting.uniqueid)
        leg = await bus.wait_for(CallBridged, lambda e: e.originate_id == action_id)
        assert leg.channel == result.channel

        await ami.hangup(waiting.channel)
        hung = await bus.wait_for(CallHungUp, lambda e: e.uniqueid == waiting.uniqueid)
        assert hung.cause == 16
        await bus.wait_for(CallHungUp, lambda e: e.channel == leg.channel)  # the bridge ends
