"""The pure ACD core: agent transitions, service order, agent choice, the atomic offer."""

from __future__ import annotations

import pytest

from contactcenter.acd.agents import Agent, AgentProfile, AgentState, transition
from contactcenter.acd.routing import (
    WaitingCall,
    effective_priority,
    next_offer,
    pick_agent,
    position,
)
from contactcenter.errors import InvalidTransition
from contactcenter.queue.memory_store import MemoryStore

S = AgentState


def agent(name: str, state: AgentState = S.AVAILABLE, idle: float = 0.0, penalty: int = 0,
          skills: dict[str, int] | None = None, queue: str = "support") -> Agent:
    return Agent(AgentProfile(name, f"SIP/{name}", {queue: penalty}, skills or {}), state,
                 idle_since=idle)


def call(cid: str, at: float, queue: str = "support", priority: int = 0,
         skills: dict[str, int] | None = None) -> WaitingCall:
    return WaitingCall(cid, f"SIP/carrier-{cid}", queue, at, priority, skills=skills or {})


def test_a_day_of_transitions_is_timestamped() -> None:
    a = agent("a", S.LOGGED_OUT)
    a = transition(a, S.AVAILABLE, 10.0)
    assert (a.state, a.since, a.idle_since) == (S.AVAILABLE, 10.0, 10.0)
    a = transition(a, S.OFFERED, 11.0, call_id="c1")
    a = transition(a, S.ON_CALL, 12.0)
    assert a.call_id == "c1"
    a = transition(a, S.WRAP_UP, 20.0)
    a = transition(a, S.PAUSED, 25.0, reason="lunch")
    assert (a.reason, a.call_id, a.idle_since) == ("lunch", None, 10.0)


@pytest.mark.parametrize(("start", "target"), [(S.LOGGED_OUT, S.ON_CALL), (S.ON_CALL, S.AVAILABLE),
                                               (S.ON_CALL, S.LOGGED_OUT), (S.PAUSED, S.OFFERED),
                                               (S.WRAP_UP, S.OFFERED)])
def test_invalid_transitions_are_refused_clearly(start: AgentState, target: AgentState) -> None:
    with pytest.raises(InvalidTransition, match=f"from {start} to {target}"):
        transition(agent("a", start), target, 1.0)


def test_a_pause_needs_a_reason() -> None:
    with pytest.raises(InvalidTransition, match="reason"):
        transition(agent("a"), S.PAUSED, 1.0)


def test_calls_are_served_by_priority_then_oldest_first() -> None:
    calls = [call("late", 5.0), call("early", 1.0), call("vip", 9.0, priority=1)]
    assert next_offer(calls, [agent("a")])[0].call_id == "vip"
    assert next_offer(calls[:2], [agent("a")])[0].call_id == "early"
    assert position(calls, "late") == 3 and position(calls, "vip") == 1
    assert position(calls, "nope") is None


def test_aging_adds_a_priority_step_per_interval_waited() -> None:
    assert effective_priority(0, 100.0, 129.9, 10.0) == 2
    assert effective_priority(1, 100.0, 50.0, 10.0) == 1  # clock behind the entry: no aging
    assert effective_priority(1, 0.0, 1e6, 0.0) == 1  # 0: off
    calls = [call("old", 0.0), call("vip", 25.0, priority=2)]
    assert next_offer(calls, [agent("a")], 30.0, {"support": 10.0})[0].call_id == "old"
    assert next_offer(calls, [agent("a")], 19.0, {"support": 10.0})[0].call_id == "vip"
    assert next_offer(calls, [agent("a")], 30.0, {"sales": 10.0})[0].call_id == "vip"


def test_agent_choice_penalty_tier_then_longest_idle_then_skills() -> None:
    c = call("c", 1.0)
    assert pick_agent(c, [agent("recent", idle=50.0), agent("idle", idle=10.0)]).agent_id == "idle"
    assert pick_agent(c, [agent("backup", idle=1.0, penalty=1),
                          agent("primary", idle=99.0)]).agent_id == "primary"
    french = call("f", 1.0, skills={"french": 2})
    team = [agent("novice", idle=1.0, skills={"french": 1}), agent("fluent", idle=5.0,
                                                                   skills={"french": 3})]
    assert pick_agent(french, team).agent_id == "fluent"
    assert pick_agent(c, [agent("busy", S.ON_CALL), agent("other", queue="sales")]) is None


def test_a_call_nobody_can_take_does_not_block_the_next() -> None:
    calls = [call("fr", 1.0, skills={"french": 1}), call("en", 2.0)]
    assert next_offer(calls, [agent("a")])[0].call_id == "en"


async def test_memory_store_offers_each_call_once_and_each_agent_once() -> None:
    store = MemoryStore()
    for cid, at in (("c1", 1.0), ("c2", 2.0)):
        assert await store.add_call(call(cid, at))
    assert not await store.add_call(call("c1", 1.0))  # already held
    await store.put_agent(agent("a"))
    first = await store.offer_next(10.0)
    assert first is not None and first[0].call_id == "c1"
    assert first[1].state is S.OFFERED and first[1].call_id == "c1"
    assert await store.offer_next(10.0) is None  # the only agent holds an offer
    assert [c.call_id for c in await store.waiting()] == ["c2"]
    back = await store.return_to_queue("c1")  # ring-no-answer: back with its entry time
    assert back.entered_at == 1.0
    await store.put_agent(agent("b", idle=3.0))
    again = await store.offer_next(11.0)
    assert (again[0].call_id, again[1].agent_id) == ("c1", "b")
