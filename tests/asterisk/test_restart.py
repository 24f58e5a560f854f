"""The platform restarts while callers wait on a real Asterisk: callers wait inside Asterisk,
never inside a Python socket (DESIGN.md step 2), so a new platform process rebuilds the
queue from the channels' CC_* variables and answers them in their original order."""

from __future__ import annotations

from contactcenter.acd.events import CallConnected, CallEnded, CallQueued
from contactcenter.app import Platform, open_platform
from contactcenter.config import Config
from tests.asterisk.harness import REAL_ASTERISK, SUPPORT, ready_after_each_call
from tests.asterisk.sipp import Phones
from tests.asterisk.watch import AmiWatch, BusLog

pytestmark = REAL_ASTERISK

CALLERS = [(f"+1555020{n:04d}", f"Waiting {n}") for n in range(1, 4)]  # not in the CRM


async def restart_with_callers_waiting(config: Config, bus: BusLog, watch: AmiWatch,
                                       phones: Phones, *, agent_waits_for_resync: bool
                                       ) -> list[str]:
    """Three callers queue while no agent works, the platform closes and a new one opens
    on the same Asterisk; agent101 logs in once the new platform has re-queued them all
    (`agent_waits_for_resync`), or at once, as an agent already available would be (a
    Redis store keeps agent states across a restart). Returns the first life's queue order.
    """
    async with open_platform(config, bus=bus.bus, console=False):
        callers = phones.callers("callers", CALLERS, keys=SUPPORT, rate_per_s=1)
        await bus.wait_for(CallQueued, count=len(CALLERS))
    first_life = {q.call_id: q.entered_at for q in bus.of(CallQueued)}
    assert sorted(c["Uniqueid"] for c in await watch.channels()) == sorted(first_life)

    phones.agent("agent101", answer_after_ms=200, hang_up_after_ms=1000)
    async with open_platform(config, bus=bus.bus, console=False) as platform, \
            ready_after_each_call(platform):
        if agent_waits_for_resync:
            await bus.wait_for(CallQueued, count=2 * len(CALLERS))
        await platform.distributor.login("agent101")
        assert await callers.wait(60) == 0  # each answered, then hung up with the agent
        await bus.wait_for(CallEnded, count=len(CALLERS))
        await no_waiting(platform)
    requeued = {q.call_id: q.entered_at for q in bus.of(CallQueued)[len(CALLERS):]}
    assert requeued == first_life  # rebuilt by the resync at their original entry times
    assert {e.outcome for e in bus.of(CallEnded)} == {"answered"}
    assert await watch.channels() == []
    return sorted(first_life, key=first_life.__getitem__)


async def no_waiting(platform: Platform) -> None:
    assert await platform.distributor.store.waiting() == []


async def test_callers_waiting_through_a_restart_are_answered_in_order(
        config: Config, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    order = await restart_with_callers_waiting(config, bus, watch, phones,
                                               agent_waits_for_resync=True)
    assert [c.call_id for c in bus.of(CallConnected)] == order


async def test_callers_waiting_through_a_restart_go_first_come_first_served_to_an_agent_available_at_once(
        config: Config, bus: BusLog, watch: AmiWatch, phones: Phones) -> None:
    order = await restart_with_callers_waiting(config, bus, watch, phones,
                                               agent_waits_for_resync=False)
    assert [c.call_id for c in bus.of(CallConnected)] == order
