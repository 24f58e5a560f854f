"""The supervisor's live lists: agents by id with what they are doing, calls in the order
they will be served with their real place in their own queue."""

from __future__ import annotations

from contactcenter.acd.agents import Agent, AgentProfile, AgentState
from contactcenter.acd.routing import WaitingCall
from contactcenter.acd.wallboard import agent_rows, call_rows


def call(call_id: str, queue: str, entered: float, priority: int = 0,
         callback: str = "") -> WaitingCall:
    return WaitingCall(call_id, f"SIP/{call_id}", queue, entered, priority,
                       caller_num="" if callback else f"+1415555{call_id}", callback=callback)


def test_agents_are_listed_by_id_with_state_reason_time_and_caller() -> None:
    talking = Agent(AgentProfile("b", "SIP/b", {"sales": 0, "billing": 1}), AgentState.ON_CALL,
                    since=90.0, call_id="c1")
    paused = Agent(AgentProfile("a", "SIP/a", {"support": 0}), AgentState.PAUSED,
                   reason="lunch", since=40.0)
    never = Agent(AgentProfile("c", "SIP/c"))
    rows = agent_rows([talking, never, paused], {"c1": "+14155550123"}, now=100.0)
    assert rows[2] == {"agent_id": "c", "state": "logged_out", "reason": "", "for_s": None,
                       "queues": [], "caller": "", "call_id": ""}
    assert rows[:2] == [
        {"agent_id": "a", "state": "paused", "reason": "lunch", "for_s": 60.0,
         "queues": ["support"], "caller": "", "call_id": ""},
        {"agent_id": "b", "state": "on_call", "reason": "", "for_s": 10.0,
         "queues": ["billing", "sales"], "caller": "+14155550123", "call_id": "c1"}]


def test_calls_come_ringing_first_then_by_priority_and_entry_with_places_per_queue() -> None:
    waiting = [call("2", "sales", 20.0), call("3", "sales", 10.0, priority=5),
               call("4", "support", 5.0), call("5", "sales", 30.0, callback="+15550100")]
    ringing = {"1": (call("1", "sales", 1.0), "agent101")}
    rows = call_rows(waiting, ringing, now=40.0)
    assert [(r["call_id"], r["queue"], r["position"], r["agent_id"]) for r in rows] == [
        ("1", "sales", 1, "agent101"), ("3", "sales", 2, ""), ("4", "support", 1, ""),
        ("2", "sales", 3, ""), ("5", "sales", 4, "")]
    assert (rows[0]["waited_s"], rows[1]["priority"]) == (39.0, 5)
    assert (rows[-1]["caller"], rows[-1]["callback"]) == ("+15550100", True)


def test_only_the_first_calls_are_listed() -> None:
    waiting = [call(str(n), "sales", float(n)) for n in range(10)]
    rows = call_rows(waiting, {}, now=20.0, limit=3)
    assert [r["call_id"] for r in rows] == ["0", "1", "2"]
