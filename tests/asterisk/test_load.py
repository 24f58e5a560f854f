"""Many callers, few agents, on a real Asterisk: the case of issue 9, where the agents'
phones hang up at the end of each call (the normal case) and Asterisk reports the agent's
hang-up and the caller's next music-on-hold start in either order. Every call must be
answered exactly once, in the order callers entered the queue, and no caller may be left
in music on hold."""

from __future__ import annotations

from collections import Counter

import pytest

from contactcenter.acd.events import CallConnected, CallEnded, CallOffered, CallQueued
from contactcenter.app import Platform
from tests.asterisk.harness import REAL_ASTERISK, SUPPORT, ready_after_each_call
from tests.asterisk.sipp import Phones
from tests.asterisk.watch import AmiWatch, BusLog

pytestmark = REAL_ASTERISK

CALLERS = [(f"+1555010{n:04d}", f"Caller {n}") for n in range(1, 16)]  # not in the CRM


@pytest.mark.timeout(240)
async def test_fifteen_callers_two_agents_whose_phones_hang_up(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    async with ready_after_each_call(platform):
        for agent in ("agent101", "agent102"):
            await platform.distributor.login(agent)
            phones.agent(agent, answer_after_ms=200, hang_up_after_ms=1500)
        callers = phones.callers("callers", CALLERS, keys=SUPPORT, rate_per_s=2)
        assert await callers.wait(180) == 0  # each caller was hung up by Asterisk
        await bus.wait_for(CallEnded, count=len(CALLERS))  # all closed by the ACD
    assert {e.outcome for e in bus.of(CallEnded)} == {"answered"}

    queued = bus.of(CallQueued)
    calls = [q.call_id for q in sorted(queued, key=lambda q: q.entered_at)]
    assert len(calls) == len(set(calls)) == len(CALLERS)  # each entered the queue once
    assert Counter(e.call_id for e in bus.of(CallEnded)) == Counter(calls)
    connected = bus.of(CallConnected)
    assert Counter(c.call_id for c in connected) == Counter(calls)  # each answered once
    assert [o.call_id for o in bus.of(CallOffered)] == calls  # offered first come first
    assert [c.call_id for c in connected] == calls  # and connected in that order

    # Asterisk's own account: each caller entered one bridge, once; 15 agent legs answered
    bridged = Counter(e["Uniqueid"] for e in watch.of("BridgeEnter")
                      if e["Channel"].startswith("SIP/carrier-"))
    assert bridged == Counter(calls)
    assert len(watch.of("OriginateResponse", Response="Success")) == len(CALLERS)
    assert await watch.channels() == []  # nobody stranded in music on hold
    board = await platform.distributor.wallboard()
    assert (board["total"]["waiting"], board["answered"]) == (0, len(CALLERS))
