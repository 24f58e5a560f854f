"""Live monitoring on a real Asterisk (acd/monitoring.py through the AMI bridge): the
supervisor's phone (here agent102's SIPp phone stands in for it) is originated into
ChanSpy on the agent's leg, switches from listen to whisper to barge on the same leg
(ChanSpy's `d` keys, sent with PlayDTMF Receive), and stops; ChanSpy ends with the agent's
leg (`E`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contactcenter.acd.events import (
    CallConnected,
    CallEnded,
    MonitorEnded,
    MonitorModeChanged,
    MonitorStarted,
)
from contactcenter.acd.monitoring import Monitoring
from contactcenter.app import Platform
from contactcenter.cti.spying import SpyMode
from tests.asterisk.harness import ADA, REAL_ASTERISK, SUPPORT
from tests.asterisk.sipp import Phones
from tests.asterisk.watch import AmiWatch, BusLog, no_channels_left

pytestmark = REAL_ASTERISK

SUPERVISOR_PHONE = "SIP/agent102"  # the harness's second phone, as the supervisor's device


@pytest.fixture
async def monitoring(platform: Platform) -> AsyncIterator[Monitoring]:
    async with Monitoring(platform.distributor, platform.bridge, platform.bus) as monitor:
        yield monitor


async def agent_leg(platform: Platform, bus: BusLog, phones: Phones, watch: AmiWatch,
                    **phone: int) -> str:
    """Ada's call to support answered by agent101's phone, which sends media as a real
    phone does (sipp.voice_pcap says why ChanSpy needs it): the agent's leg, bridged."""
    await platform.distributor.login("agent101")
    phones.agent("agent101", answer_after_ms=300, voice_s=30, **phone)
    phones.callers("ada", [ADA], keys=SUPPORT)
    await bus.wait_for(CallConnected)
    current = platform.distributor.current_call("agent101")
    assert current is not None
    await watch.wait_for("BridgeEnter", Channel=current[1])
    return current[1]


async def test_listen_whisper_barge_and_stop_on_one_spy_leg(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones,
        monitoring: Monitoring) -> None:
    leg = await agent_leg(platform, bus, phones, watch, hang_up_after_ms=20000)
    supervisor = phones.agent("agent102", answer_after_ms=300)  # waits for Asterisk's BYE

    await monitoring.start("supervisor", SUPERVISOR_PHONE, "agent101", SpyMode.LISTEN)
    started = await bus.wait_for(MonitorStarted)
    spy = monitoring._sessions["supervisor"].channel
    assert spy.startswith("SIP/agent102-") and started.mode == "listen"
    spying = await watch.wait_for("ChanSpyStart", SpyerChannel=spy)
    assert spying["SpyeeChannel"] == leg  # the agent's own leg, not the caller's
    originate = await watch.wait_for("OriginateResponse", Channel=spy)
    assert originate["Application"] == "ChanSpy"
    assert originate["Data"] == f"{leg},qEdu"

    for mode, key in ((SpyMode.WHISPER, "5"), (SpyMode.BARGE, "6")):
        await monitoring.switch("supervisor", mode)
        dtmf = await watch.wait_for("DTMFEnd", Channel=spy, Digit=key)
        assert dtmf["Direction"] == "Received"  # as if pressed on the supervisor's phone
    assert [e.mode for e in bus.of(MonitorModeChanged)] == ["whisper", "barge"]
    assert not watch.of("ChanSpyStop")  # the same ChanSpy, still spying
    assert not watch.of("Hangup", Channel=spy)

    await monitoring.stop("supervisor")
    ended = await bus.wait_for(MonitorEnded)
    assert ended.reason == "stopped" and ended.duration_s > 0
    assert [mode for mode, _ in ended.modes] == ["listen", "whisper", "barge"]
    stop = await watch.wait_for("ChanSpyStop", SpyerChannel=spy)
    hangups = [e for e in watch.events if e.get("Event") == "Hangup"]
    assert watch.events.index(stop) < watch.events.index(
        next(e for e in hangups if e["Channel"] == spy))
    assert len(supervisor.requests("BYE")) == 1  # Asterisk hung up the supervisor's phone
    assert not bus.of(CallEnded)


async def test_spying_ends_with_the_agents_leg(
        platform: Platform, bus: BusLog, watch: AmiWatch, phones: Phones,
        monitoring: Monitoring) -> None:
    leg = await agent_leg(platform, bus, phones, watch, hang_up_after_ms=4000)
    supervisor = phones.agent("agent102", answer_after_ms=300)
    await monitoring.start("supervisor", SUPERVISOR_PHONE, "agent101", SpyMode.BARGE)
    await bus.wait_for(MonitorStarted)
    spy = monitoring._sessions["supervisor"].channel
    originate = await watch.wait_for("OriginateResponse", Channel=spy)
    assert originate["Data"] == f"{leg},qEduB"

    ended = await bus.wait_for(MonitorEnded, within=30)  # the agent's phone hung up
    assert ended.reason == "call ended"
    assert (await bus.wait_for(CallEnded)).outcome == "answered"
    assert len(supervisor.requests("BYE")) == 1
    await no_channels_left(watch)
