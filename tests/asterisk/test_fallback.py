"""No caller is dropped while the platform is away, on a real Asterisk (issue 10): with no
FastAGI server listening, res_agi.c sets AGISTATUS=FAILURE and the shipped dialplan goes
on to [cc-fallback], which queues the caller in the fallback queue with the CC_* variables
the IVR would set; the platform, once it starts, finds them by its resync and an agent
answers. A FastAGI session closed mid-call (SUCCESS, nothing set) takes the same road."""

from __future__ import annotations

import asyncio

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.events import CallConnected, CallEnded, CallQueued
from contactcenter.app import open_platform
from contactcenter.config import Config
from tests.asterisk.harness import ADA, REAL_ASTERISK, Asterisk
from tests.asterisk.sipp import Phones
from tests.asterisk.watch import AmiWatch, BusLog

pytestmark = REAL_ASTERISK
OPERATOR = AgentProfile("agent101", "SIP/agent101", {"operator": 0})  # the fallback queue


async def fallen_back(watch: AmiWatch) -> tuple[str, dict[str, str]]:
    """The caller's uniqueid once they wait in [cc-wait], and what the fallback set."""
    held = await watch.wait_for("MusicOnHoldStart", where=lambda e: e["Context"] == "cc-wait")
    uniqueid = held["Uniqueid"]
    values = {e["Variable"]: e["Value"] for e in watch.of("VarSet", Uniqueid=uniqueid)}
    return uniqueid, values


async def test_a_caller_who_arrived_while_the_platform_was_down_is_answered_once_it_starts(
        asterisk: Asterisk, config: Config, bus: BusLog, watch: AmiWatch,
        phones: Phones) -> None:
    phones.agent("agent101", answer_after_ms=300, hang_up_after_ms=1000)
    caller = phones.callers("ada", [ADA])  # no FastAGI server: nothing listens on its port
    uniqueid, values = await fallen_back(watch)
    assert (values["AGISTATUS"], values["CC_QUEUE"], values["CC_ENTRY"]) == (
        "FAILURE", "operator", f"fallback-{uniqueid}")
    async with open_platform(config, bus=bus.bus, console=False) as platform:
        await platform.distributor.register_agent(OPERATOR)
        await platform.distributor.login("agent101")
        queued = await bus.wait_for(CallQueued)
        connected = await bus.wait_for(CallConnected)
        ended = await bus.wait_for(CallEnded)
    assert (queued.call_id, queued.queue, queued.entered_at) == (
        uniqueid, "operator", float(values["CC_ENTERED"]))  # when they fell back
    assert (connected.call_id, connected.agent_id) == (uniqueid, "agent101")
    assert (ended.call_id, ended.outcome) == (uniqueid, "answered")
    assert await caller.wait(30) == 0


async def test_a_caller_whose_fastagi_session_closed_mid_call_is_queued(
        asterisk: Asterisk, watch: AmiWatch, phones: Phones) -> None:
    async def closes_after_answer(reader: asyncio.StreamReader,
                                  writer: asyncio.StreamWriter) -> None:
        while (await reader.readline()).strip():  # the agi_* block
            pass
        writer.write(b"ANSWER\n")
        await writer.drain()
        await reader.readline()
        writer.close()  # the platform failed mid-call: nothing was set

    server = await asyncio.start_server(closes_after_answer, "127.0.0.1", asterisk.ports.agi)
    try:
        caller = phones.callers("ada", [ADA], hang_up_after_ms=3000)
        uniqueid, values = await fallen_back(watch)
        assert await caller.wait(30) == 0
    finally:
        server.close()
        await server.wait_closed()
    assert (values["AGISTATUS"], values["CC_QUEUE"], values["CC_CALL_ID"],
            values["CC_IVR_PATH"]) == ("SUCCESS", "operator", uniqueid, "fallback")
