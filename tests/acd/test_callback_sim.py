"""Announcements and queued callbacks end to end over the simulator: waiting callers hear
their place and wait (the cc-announce AGI) and stay in the queue; a caller who presses 1
hangs up, keeps their place and is called back when an agent frees; a callback the
customer never answers is retried, then closed. No call is lost or counted twice."""

from __future__ import annotations

import asyncio

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.announcer import CALLBACK_OFFER, announcement_text
from contactcenter.acd.events import (
    AgentStateChanged,
    CallbackQueued,
    CallConnected,
    CallEnded,
    CallQueued,
)
from contactcenter.cti.events import CallWaiting
from contactcenter.ivr.events import CallbackRequested
from contactcenter.queue_config import Announcements, QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller
from contactcenter.sim.stats import CallOutcome
from contactcenter.speech.tts import PromptRenderer
from tests.acd.conftest import KEYS, AcdRig, acd_rig
from tests.helpers import eventually

AGENT = AgentProfile("agent101", "SIP/agent101", {"support": 0})
CUSTOMER = "+14155550141"


def support(**announce: float) -> dict[str, QueueDefinition]:
    return {"support": QueueDefinition("support", wrap_up_seconds=0.05,
                                       announcements=Announcements(**announce))}


def said(rig_path, text: str) -> bool:
    """Whether the platform rendered `text` as a prompt (what the announcer speaks)."""
    return PromptRenderer(rig_path / "prompts").path_for(text).with_suffix(".wav").exists()


async def queued(rig: AcdRig, number: str, *answers: str) -> object:
    call = rig.sim.place_call(ScriptedCaller(number=number,
                                             answers=(KEYS["support"], *answers)))
    await rig.next(CallQueued, lambda e: e.call_id == call.uniqueid)
    return call


async def test_waiting_callers_hear_their_place_and_keep_it(tmp_path) -> None:
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    async with acd_rig(tmp_path, agents=agents, queues=support(on_entry=True,
                                                               every_seconds=0.4)) as rig:
        await rig.acd.register_agent(AGENT)
        first = await queued(rig, "+14155550131")
        second = await queued(rig, "+14155550132")
        for call in (first, second):  # on entry, then at least once more each
            for _ in range(3):
                await rig.next(CallWaiting, lambda e, c=call: e.uniqueid == c.uniqueid)
        assert (await rig.acd.wait_estimate(second.uniqueid))[0] == 2
        await rig.acd.login("agent101")
        outcomes = await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), 10)
    assert outcomes == [CallOutcome.ANSWERED, CallOutcome.ANSWERED]
    # nobody is logged in while they wait: the default handle time over one agent
    assert said(tmp_path, f"{announcement_text(2, 360.0)} {CALLBACK_OFFER}")
    assert said(tmp_path, f"{announcement_text(1, 180.0)} {CALLBACK_OFFER}")
    queued_events = rig.of(CallQueued)  # announcements never re-queue a caller
    assert sorted(e.call_id for e in queued_events) == sorted((first.uniqueid,
                                                               second.uniqueid))
    assert [e.call_id for e in rig.of(CallConnected)] == [first.uniqueid, second.uniqueid]


async def test_a_caller_who_presses_1_hangs_up_and_is_called_back_in_turn(tmp_path) -> None:
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.2)}
    customers = {CUSTOMER: ScriptedAgent(answer_after=0.05)}
    async with acd_rig(tmp_path, agents=agents, customers=customers,
                       queues=support(on_entry=True, every_seconds=0)) as rig:
        await rig.acd.register_agent(AGENT)
        asker = await queued(rig, CUSTOMER, "1")  # presses 1 in the announcement
        kept = await rig.next(CallbackQueued, lambda e: e.call_id == asker.uniqueid)
        assert await asyncio.wait_for(asker.wait(), 5) is CallOutcome.ENDED_IN_IVR
        behind = await queued(rig, "+14155550142")  # joined later, stays on the line
        await asyncio.sleep(0.3)  # the asker's hangup is behind us: not an abandon
        assert (await rig.acd.wallboard())["queues"]["support"]["waiting"] == 2
        await rig.acd.login("agent101")
        await asyncio.wait_for(behind.wait(), 10)
        await rig.next(CallEnded, lambda e: e.call_id == behind.uniqueid)
        board = await rig.acd.wallboard()
    entered = next(e for e in rig.of(CallQueued) if e.call_id == asker.uniqueid).entered_at
    assert (kept.number, kept.entered_at) == (CUSTOMER, entered)
    assert [c.caller.number for c in rig.sim.callbacks] == [CUSTOMER]
    assert rig.sim.callbacks[0].outcome is CallOutcome.ANSWERED
    assert [e.call_id for e in rig.of(CallConnected)] == [asker.uniqueid, behind.uniqueid]
    ended = {e.call_id: e.outcome for e in rig.of(CallEnded)}
    assert ended == {asker.uniqueid: "answered", behind.uniqueid: "answered"}
    assert (board["answered"], board["abandoned"]) == (2, 0)


async def test_an_ivr_callback_the_customer_never_answers_is_retried_then_closed(
        tmp_path) -> None:
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    async with acd_rig(tmp_path, agents=agents, queues=support(),
                       callback_attempts=2, callback_retry_seconds=0.2) as rig:
        await rig.acd.register_agent(AGENT)
        await rig.acd.login("agent101")
        rig.acd.bus.publish(CallbackRequested("ivr-call-1", "support", "+14155550199",
                                              "Ada Lovelace", at=rig.acd.clock() - 30))
        ended = await rig.next(CallEnded, lambda e: e.call_id == "ivr-call-1")
        await eventually(lambda: len(rig.sim.pbx.channels) == 0)
        agent = await rig.acd.agent_view("agent101")
    assert ended.outcome == "abandoned" and ended.wait_s >= 30
    assert [c.caller.number for c in rig.sim.callbacks] == ["+14155550199"] * 2
    assert not any(c.answered for c in rig.sim.callbacks)
    assert agent["state"] == "available"  # the agent answered: not paused for no answer
    assert not any(isinstance(e, AgentStateChanged) and e.state == "paused"
                   for e in rig.drain())
