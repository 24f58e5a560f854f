"""Live monitoring over the simulator (acd/monitoring.py through the AMI bridge, real TCP):
the supervisor's phone is originated into ChanSpy on the agent's own leg, switches mode
on that same ChanSpy with the keys PlayDTMF sends, and stops; ChanSpy ends with the
agent's leg; a phone that never answers ends the session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.events import (
    CallConnected,
    CallEnded,
    MonitorEnded,
    MonitorModeChanged,
    MonitorStarted,
)
from contactcenter.acd.monitoring import Monitoring
from contactcenter.cti.spying import SpyMode
from contactcenter.errors import InvalidTransition
from contactcenter.queue_config import QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller
from tests.acd.conftest import KEYS, AcdRig, acd_rig

QUEUES = {"support": QueueDefinition("support", wrap_up_seconds=0.05)}
SUPERVISOR_PHONE = "SIP/supervisor1"


async def talking(rig: AcdRig) -> str:
    """A caller connected to agent101: the agent's leg."""
    await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
    await rig.acd.login("agent101")
    rig.sim.place_call(ScriptedCaller(number="+14155550161", answers=(KEYS["support"],)))
    await rig.next(CallConnected)
    current = rig.acd.current_call("agent101")
    assert current is not None
    return current[1]


@pytest.fixture
def phones(request: pytest.FixtureRequest) -> dict[str, ScriptedAgent]:
    talk = getattr(request, "param", 30.0)
    return {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=talk),
            SUPERVISOR_PHONE: ScriptedAgent(answer_after=0.05, talk_seconds=60)}


@pytest.fixture
async def rig(tmp_path, phones) -> AsyncIterator[AcdRig]:
    async with acd_rig(tmp_path, queues=QUEUES, agents=phones) as rig:
        yield rig


async def test_listen_whisper_barge_and_stop_on_one_chanspy(rig: AcdRig) -> None:
    leg = await talking(rig)
    async with Monitoring(rig.acd, rig.bridge, rig.acd.bus) as monitoring:
        view = await monitoring.start("sup1", SUPERVISOR_PHONE, "agent101", SpyMode.LISTEN)
        assert view["state"] == "ringing"
        started = await rig.next(MonitorStarted)
        (spy,) = rig.sim.spies
        assert (spy.spyee, spy.spying, started.mode) == (leg, True, "listen")
        assert spy.options == "qEdu"
        with pytest.raises(InvalidTransition, match="monitoring agent101 already"):
            await monitoring.start("sup1", SUPERVISOR_PHONE, "agent101", SpyMode.BARGE)
        for mode in (SpyMode.WHISPER, SpyMode.BARGE):
            assert (await monitoring.switch("sup1", mode))["mode"] == mode.value
            await rig.next(MonitorModeChanged, lambda e, m=mode: e.mode == m.value)
        await asyncio.sleep(0.05)  # the keys reach the simulator
        assert spy.modes == ["listen", "whisper", "barge"]
        assert monitoring.session("sup1")["state"] == "live"  # type: ignore[index]
        await monitoring.stop("sup1")
        ended = await rig.next(MonitorEnded)
    assert (ended.reason, ended.agent_id, ended.supervisor) == ("stopped", "agent101", "sup1")
    assert [mode for mode, _ in ended.modes] == ["listen", "whisper", "barge"]
    assert ended.duration_s > 0
    assert not spy.spying and spy.spyer not in rig.sim.pbx.channels
    assert leg in rig.sim.pbx.channels  # the agent's call goes on
    assert not rig.of(CallEnded)


@pytest.mark.parametrize("phones", [0.6], indirect=True)
async def test_chanspy_ends_with_the_agents_leg(rig: AcdRig) -> None:
    await talking(rig)
    async with Monitoring(rig.acd, rig.bridge, rig.acd.bus) as monitoring:
        await monitoring.start("sup1", SUPERVISOR_PHONE, "agent101", SpyMode.WHISPER)
        await rig.next(MonitorStarted)
        ended = await rig.next(MonitorEnded)
        assert monitoring.sessions() == []
    assert ended.reason == "call ended"
    assert rig.sim.spies[0].modes == ["whisper"]
    assert not rig.sim.pbx.channels  # the supervisor's leg went with the agent's


async def test_nothing_to_monitor_and_a_phone_that_never_answers(tmp_path) -> None:
    phones = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=30),
              SUPERVISOR_PHONE: ScriptedAgent(answer_after=None)}
    async with acd_rig(tmp_path, queues=QUEUES, agents=phones) as rig:
        async with Monitoring(rig.acd, rig.bridge, rig.acd.bus,
                              ring_timeout_ms=300) as monitoring:
            with pytest.raises(InvalidTransition, match="no connected call"):
                await monitoring.start("sup1", SUPERVISOR_PHONE, "agent101", SpyMode.LISTEN)
            await talking(rig)
            await monitoring.start("sup1", SUPERVISOR_PHONE, "agent101", SpyMode.LISTEN)
            with pytest.raises(InvalidTransition, match="not answered yet"):
                await monitoring.switch("sup1", SpyMode.BARGE)
            ended = await rig.next(MonitorEnded)
    assert (ended.reason, ended.started_at, ended.duration_s) == ("not answered", 0.0, 0.0)
    assert not rig.sim.spies and not rig.of(MonitorStarted)
