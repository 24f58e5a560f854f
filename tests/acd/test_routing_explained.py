"""The routing explainer (acd/routing.explain_offer): for a scripted choice, why this call
and this agent, and why each other agent and call lost."""

from __future__ import annotations

from contactcenter.acd.agents import Agent, AgentProfile, AgentState
from contactcenter.acd.routing import Verdict, WaitingCall, explain_offer, next_offer

NOW = 1000.0


def agent(name: str, state: AgentState, idle_since: float, queues: dict[str, int],
          skills: dict[str, int] | None = None, reason: str = "") -> Agent:
    return Agent(AgentProfile(name, f"SIP/{name}", queues, skills or {}), state,
                 reason=reason, idle_since=idle_since)


def test_a_scripted_choice_is_explained() -> None:
    urgent = WaitingCall("urgent", "SIP/c1", "support", entered_at=980.0, priority=2,
                         skills={"french": 1})
    early = WaitingCall("early", "SIP/c2", "support", entered_at=900.0, priority=0)
    sales = WaitingCall("sales-1", "SIP/c3", "sales", entered_at=950.0, priority=3)
    agents = [
        agent("tier0", AgentState.AVAILABLE, 990.0, {"support": 0}, {"french": 2}),
        agent("tier1", AgentState.AVAILABLE, 100.0, {"support": 1}, {"french": 3}),
        agent("busy", AgentState.ON_CALL, 0.0, {"support": 0}, {"french": 3}),
        agent("lunch", AgentState.PAUSED, 0.0, {"support": 0}, {"french": 3}, "lunch"),
        agent("english", AgentState.AVAILABLE, 10.0, {"support": 0}),
        agent("seller", AgentState.OFFERED, 10.0, {"sales": 0}),
    ]
    calls = [urgent, early, sales]
    call, chosen = next_offer(calls, agents, NOW)  # type: ignore[misc]
    assert (call.call_id, chosen.agent_id) == ("urgent", "tier0")

    why = explain_offer(call, chosen, calls, agents, NOW, {"support": 0.0})
    assert (why.call_id, why.agent_id, why.queue) == ("urgent", "tier0", "support")
    assert (why.priority, why.effective_priority, why.entered_at, why.waited_s) == \
        (2, 2, 980.0, 20.0)
    assert (why.penalty, why.idle_s, why.agent_skills, why.skills_needed) == \
        (0, 10.0, {"french": 2}, {"french": 1})
    assert {v.id: v for v in why.agents} == {
        "tier1": Verdict("tier1", True, "penalty tier 1, after tier0's 0"),  # longer idle
        "busy": Verdict("busy", False, "not available: on_call"),
        "lunch": Verdict("lunch", False, "not available: paused (lunch)"),
        "english": Verdict("english", False, "lacks french 1"),
        "seller": Verdict("seller", False, "not in queue support"),
    }
    assert why.calls == (  # in service order: the sales call is ahead (priority 3)
        Verdict("sales-1", False, "ahead, in queue sales, which tier0 does not serve"),
        Verdict("early", True, "priority 0, lower than urgent's 2"),  # passed over
    )


def test_aging_and_idle_time_are_the_reasons_when_all_else_is_equal() -> None:
    old = WaitingCall("old", "SIP/c1", "support", entered_at=700.0, priority=0)
    new = WaitingCall("new", "SIP/c2", "support", entered_at=990.0, priority=1)
    agents = [agent("long", AgentState.AVAILABLE, 400.0, {"support": 0}),
              agent("short", AgentState.AVAILABLE, 900.0, {"support": 0})]
    aging = {"support": 100.0}  # the old call gained 3 steps: 0 + 3 > 1
    call, chosen = next_offer([old, new], agents, NOW, aging)  # type: ignore[misc]
    why = explain_offer(call, chosen, [old, new], agents, NOW, aging)
    assert (why.call_id, why.agent_id, why.effective_priority, why.aging_seconds) == \
        ("old", "long", 3, 100.0)
    assert why.agents == (Verdict("short", True, "same tier, idle 100 s, less than long's "
                                                 "600 s"),)
    assert why.calls == (Verdict("new", True, "priority 1, lower than old's 3"),)
