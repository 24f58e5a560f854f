"""No caller is dropped while the platform is away (issue 10): a caller whose FastAGI
never answered, or whose IVR session the platform dropped mid-call, is queued by the
dialplan's fallback ([cc-fallback], the `operator` queue, entered when it fell back) and
answered by the ACD: at once when the AMI link is up, else when the link's resync finds
them."""

from __future__ import annotations

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.events import CallEnded, CallOffered, CallQueued
from contactcenter.sim import CallOutcome, ScriptedAgent, ScriptedCaller
from tests.acd.conftest import acd_rig
from tests.helpers import eventually

AGENT = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}


async def login(rig) -> None:
    await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"operator": 0}))
    await rig.acd.login("agent101")


async def test_a_caller_whose_fastagi_is_unreachable_is_queued_and_answered(
        tmp_path, unused_port: int) -> None:
    async with acd_rig(tmp_path, agents=AGENT, agi_port=unused_port) as rig:
        await login(rig)
        call = rig.sim.place_call(ScriptedCaller())
        queued = await rig.next(CallQueued)
        assert await call.wait() is CallOutcome.ANSWERED
        ended = await rig.next(CallEnded)
    assert (queued.call_id, queued.queue, queued.caller_num) == (call.uniqueid, "operator",
                                                                 "+14155550123")
    assert (ended.call_id, ended.outcome, ended.agent_id) == (call.uniqueid, "answered",
                                                              "agent101")
    assert rig.sim.stats.double_offers == 0


async def test_a_caller_who_fell_back_while_the_link_was_down_is_found_by_the_resync(
        tmp_path, unused_port: int) -> None:
    async with acd_rig(tmp_path, agents=AGENT, agi_port=unused_port) as rig:
        await login(rig)
        rig.link.cut()  # the platform hears nothing of this caller's arrival
        call = rig.sim.place_call(ScriptedCaller())
        await eventually(lambda: call.phase == "waiting", within=5)
        entered = float(rig.sim.pbx.channels[call.channel].variables["CC_ENTERED"])
        rig.link.down = False  # the bridge reconnects, resyncs and finds them
        queued = await rig.next(CallQueued, within=10)
        assert await call.wait() is CallOutcome.ANSWERED
    assert (queued.call_id, queued.queue, queued.entered_at) == (call.uniqueid, "operator",
                                                                  entered)


async def test_a_caller_whose_ivr_session_the_platform_dropped_is_queued(tmp_path) -> None:
    async def crashes(session) -> None:  # the IVR fails after one command: socket closed
        await session.command("ANSWER")
        raise RuntimeError("the IVR failed mid-call")

    async with acd_rig(tmp_path, agents=AGENT) as rig:
        await login(rig)
        rig.routes.default = crashes
        call = rig.sim.place_call(ScriptedCaller(answers=("2",)))
        queued = await rig.next(CallQueued)
        offered = await rig.next(CallOffered)
        assert await call.wait() is CallOutcome.ANSWERED
    assert (queued.call_id, queued.queue) == (call.uniqueid, "operator")
    assert (offered.call_id, offered.ivr_path) == (call.uniqueid, "fallback")
    assert rig.sim.stats.double_offers == 0
