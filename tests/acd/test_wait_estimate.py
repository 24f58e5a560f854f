"""The estimated wait from scripted moments: calls waiting, agents in given states since
given times, queues' handle times (acd/wait_estimate.py)."""

from __future__ import annotations

import pytest

from contactcenter.acd.agents import Agent, AgentProfile, AgentState
from contactcenter.acd.routing import WaitingCall
from contactcenter.acd.wait_estimate import SOONEST_S, HandleTimes, estimated_wait

S = AgentState
NOW = 1000.0
TIMES = HandleTimes({"support": 100.0, "sales": 40.0}, {"support": 10.0, "sales": 5.0},
                    default_handle_s=180.0, default_wrap_up_s=5.0)


def agent(name: str, state: AgentState = S.ON_CALL, since: float = NOW,
          queues: dict[str, int] | None = None, skills: dict[str, int] | None = None) -> Agent:
    return Agent(AgentProfile(name, f"SIP/{name}", queues or {"support": 0}, skills or {}),
                 state, since=since, idle_since=since)


def call(cid: str, entered: float, queue: str = "support", priority: int = 0,
         skills: dict[str, int] | None = None) -> WaitingCall:
    return WaitingCall(cid, f"SIP/c-{cid}", queue, entered, priority, skills=skills or {})


def waits(calls: list[WaitingCall], agents: list[Agent], times: HandleTimes = TIMES,
          current: dict[str, str] | None = None,
          aging: dict[str, float] | None = None) -> dict[str, float | None]:
    return {c.call_id: estimated_wait(c.call_id, calls, agents, times, NOW, current, aging)
            for c in calls}


QUEUE = [call("c1", 900.0), call("c2", 910.0), call("c3", 920.0)]


def test_agents_who_just_answered_take_the_queue_in_turns() -> None:
    # Two agents free at +100; then each again 100 s later: what place × AHT ÷ agents says.
    assert waits(QUEUE, [agent("a"), agent("b")]) == {"c1": 100.0, "c2": 100.0, "c3": 200.0}


def test_an_agent_into_their_call_frees_up_sooner() -> None:
    # a is 30 s into a 100 s call, b in the 3rd s of a 10 s wrap-up; c takes 100 s from now.
    agents = [agent("a", since=NOW - 30), agent("b", S.WRAP_UP, since=NOW - 3), agent("c")]
    assert waits(QUEUE, agents) == {"c1": 7.0, "c2": 70.0, "c3": 100.0}


@pytest.mark.parametrize("into", [60.0, 500.0])
def test_an_agent_near_or_past_the_expected_end_has_a_share_of_a_handle_time_left(
        into: float) -> None:
    late = agent("a", since=NOW - into)
    assert waits(QUEUE[:1], [late]) == {"c1": SOONEST_S * 100.0}


def test_a_ringing_agent_has_the_whole_call_ahead() -> None:
    assert waits(QUEUE[:1], [agent("a", S.OFFERED, since=NOW - 5)]) == {"c1": 100.0}


def test_an_available_agent_takes_the_first_caller_now() -> None:
    assert waits(QUEUE[:2], [agent("a", S.AVAILABLE), agent("b")]) == {"c1": 0.0, "c2": 100.0}


def test_paused_and_logged_out_agents_take_no_calls() -> None:
    agents = [agent("a"), agent("p", S.PAUSED), agent("o", S.LOGGED_OUT)]
    assert waits(QUEUE, agents) == {"c1": 100.0, "c2": 200.0, "c3": 300.0}


def test_a_shared_agent_takes_the_call_ahead_in_another_queue_first() -> None:
    # s serves both queues; the sales caller has priority, so s's next call is theirs
    # (40 s of sales), and the support caller waits for s after that.
    shared = agent("s", queues={"support": 0, "sales": 0})
    calls = [call("vip", 990.0, "sales", priority=1), call("c1", 900.0)]
    assert waits(calls, [shared]) == {"vip": 100.0, "c1": 140.0}
    # Without the priority the support caller is older: first in turn.
    calls = [call("late", 990.0, "sales"), call("c1", 900.0)]
    assert waits(calls, [shared]) == {"late": 200.0, "c1": 100.0}


def test_a_call_ahead_that_only_others_can_take_does_not_hold_the_caller_up() -> None:
    # The Spanish caller is first in turn, but only e speaks Spanish; a takes c1.
    calls = [call("es", 800.0, skills={"spanish": 1}), call("c1", 900.0)]
    agents = [agent("a", since=NOW - 50), agent("e", skills={"spanish": 2})]
    assert waits(calls, agents) == {"es": 100.0, "c1": 50.0}


def test_each_agent_frees_up_after_the_handle_time_of_their_own_calls_queue() -> None:
    # s is on a sales call (40 s), not a support one (100 s): it frees up at +40.
    shared = agent("s", queues={"support": 0, "sales": 1})
    assert waits(QUEUE[:1], [shared], current={"s": "sales"}) == {"c1": 40.0}
    # Unknown (another process follows the call): their first tier's queue.
    assert waits(QUEUE[:1], [shared]) == {"c1": 100.0}


def test_aging_puts_a_long_waiting_caller_ahead_of_a_higher_priority() -> None:
    calls = [call("vip", 990.0, priority=1), call("old", 700.0)]  # old: 300 s waited
    agents = [agent("a")]
    assert waits(calls, agents) == {"vip": 100.0, "old": 200.0}
    assert waits(calls, agents, aging={"support": 120.0}) == {"vip": 200.0, "old": 100.0}


def test_a_queue_with_no_finished_call_uses_the_default_handle_time() -> None:
    assert waits([call("n", 900.0, "new")], [agent("a", queues={"new": 0})]) == {"n": 180.0}


def test_with_nobody_staffed_for_it_the_wait_is_the_place_times_the_handle_time() -> None:
    calls = [call("c1", 900.0), call("c2", 910.0), call("s1", 900.0, "sales")]
    agents = [agent("x", queues={"sales": 0}), agent("p", S.PAUSED)]
    assert waits(calls, agents) == {"c1": 100.0, "c2": 200.0, "s1": 40.0}


@pytest.mark.parametrize("cid", ["gone", ""])
def test_a_call_not_waiting_has_no_estimate(cid: str) -> None:
    assert estimated_wait(cid, QUEUE, [agent("a")], TIMES, NOW) is None
