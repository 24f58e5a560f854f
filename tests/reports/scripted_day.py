"""A scripted morning of queue and agent events with fixed times, and the interval report
figures worked out by hand from it (30-minute intervals, Paris time, the shipped
queues.yaml: support answers within 60 s, sales 20 s, operator 30 s, short abandons under
5 s; the seeded agents: agent101 serves support and sales, agent102 support and billing).

t is seconds after 09:00 local (08:00 UTC) on Monday 2 March 2026:
- agent101 available since 08:50; agent102 logged out since 07:00, available at t=600.
- c1 support: queued 60, rings agent101 70, answered 72 (12 s), talks 300, wraps up 30 s;
  rated 4 by the post-call survey at 400.
- c2 support: queued 120, hangs up at 123 (3 s: a short abandon).
- c3 support: queued 200, hangs up at 290 (90 s: abandoned, past 60 s).
- c4 sales: queued 300, overflows at 420 (120 s) to operator, hangs up there at 500
  (200 s since it called: abandoned, late).
- c5 support: queued 1700, rings agent102 1790, answered 1795 (95 s, late); at 2090
  agent102 transfers it to billing (the agent's part ends at 2095 after 300 s of talk;
  the wrap-up ends in a pause for lunch at 2155); it queues in billing at 2096 and the
  caller asks for a callback at 2200.
- c6 sales: queued 1900, rings agent101 1905, no answer (agent101 paused at 1920), agent101
  available again and rung at 2000, answered 2010 (110 s), talks 120, wraps up 10 s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import (
    AgentStateChanged,
    CallbackQueued,
    CallConnected,
    CallEnded,
    CallOffered,
    CallOutcome,
    CallOverflowed,
    CallQueued,
    CallTransferred,
)
from contactcenter.ivr.events import IvrFinished

PARIS = ZoneInfo("Europe/Paris")
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS).timestamp()
DAY = "2026-03-02"
S = AgentState


def t(seconds: float) -> float:
    return NINE + seconds


def state(agent: str, to: AgentState, at: float, call: str | None = None,
          reason: str = "") -> AgentStateChanged:
    return AgentStateChanged(agent, to, reason, call, t(at))


def answered_call(call: str, queue: str, agent: str, *, queued: float, rung: float,
                  answered: float, talk: float, wrap: float | None,
                  after: AgentState = S.AVAILABLE, reason: str = "") -> list[object]:
    """A call from its queue entry to its agent's state after the wrap-up."""
    events: list[object] = [
        CallQueued(call, queue, "+33140000000", t(queued)),
        state(agent, S.OFFERED, rung, call),
        CallOffered(call, agent, queue, t(rung), entered_at=t(queued)),
        state(agent, S.ON_CALL, answered, call),
        CallConnected(call, agent, queue, answered - queued, t(answered)),
        CallEnded(call, queue, CallOutcome.ANSWERED, agent, answered - queued, talk, t(answered + talk)),
        state(agent, S.WRAP_UP, answered + talk, call)]
    if wrap is not None:
        events.append(state(agent, after, answered + talk + wrap, reason=reason))
    return events


EVENTS: list[object] = [
    state("agent102", S.LOGGED_OUT, -7200),
    state("agent101", S.AVAILABLE, -600),
    *answered_call("c1", "support", "agent101", queued=60, rung=70, answered=72, talk=300,
                   wrap=30),
    IvrFinished("c1", "survey", "v1", "hangup", "thanks", ("rate", "thanks"),
                {"survey_score": "4"}, t(400)),
    CallQueued("c2", "support", "+33140000002", t(120)),
    CallEnded("c2", "support", CallOutcome.ABANDONED, None, 3.0, 0.0, t(123)),
    CallQueued("c3", "support", "+33140000003", t(200)),
    CallEnded("c3", "support", CallOutcome.ABANDONED, None, 90.0, 0.0, t(290)),
    CallQueued("c4", "sales", "+33140000004", t(300)),
    CallOverflowed("c4", "sales", "queue:operator", 120.0, t(420)),
    (420, CallQueued("c4", "operator", "+33140000004", t(300))),  # its first entry time
    CallEnded("c4", "operator", CallOutcome.ABANDONED, None, 200.0, 0.0, t(500)),
    state("agent102", S.AVAILABLE, 600),
    *answered_call("c5", "support", "agent102", queued=1700, rung=1790, answered=1795,
                   talk=300, wrap=None)[:-2],
    CallTransferred("c5", "agent102", "support", "queue:billing", "blind", t(2090)),
    CallEnded("c5", "support", CallOutcome.ANSWERED, "agent102", 95.0, 300.0, t(2095)),
    state("agent102", S.WRAP_UP, 2095, "c5"),
    CallQueued("c5", "billing", "+33140000000", t(2096)),
    state("agent102", S.PAUSED, 2155, reason="lunch"),
    CallbackQueued("c5", "billing", "+33140000000", t(2096), t(2200)),
    CallQueued("c6", "sales", "+33140000006", t(1900)),
    state("agent101", S.OFFERED, 1905, "c6"),
    CallOffered("c6", "agent101", "sales", t(1905), entered_at=t(1900)),
    state("agent101", S.PAUSED, 1920, reason="no answer"),
    state("agent101", S.AVAILABLE, 2000),
    *answered_call("c6", "sales", "agent101", queued=1900, rung=2000, answered=2010,
                   talk=120, wrap=10)[1:],
]


def _published(item: object) -> float:
    """When the ACD published it: its `at`, a CallQueued's entry time, or as paired."""
    if isinstance(item, tuple):
        return t(item[0])
    return getattr(item, "at", 0.0) or getattr(item, "entered_at", 0.0)


EVENTS = [item[1] if isinstance(item, tuple) else item
          for item in sorted(EVENTS, key=_published)]  # stable: same instant, listed order

FIRST, SECOND = (datetime.fromtimestamp(t(s), UTC) for s in (0, 1800))
COLUMNS = ("queue", "offered", "answered", "abandoned", "short_abandoned", "overflowed",
           "callbacks", "transfers", "service_level_pct", "abandon_rate_pct", "asa_s",
           "aht_s", "longest_wait_s", "occupancy_pct", "staffed_agents", "survey_avg",
           "surveys")
# per interval, per queue: the COLUMNS, worked out by hand (see the module's story)
QUEUES = {
    FIRST: [
        ("billing", 0, 0, 0, 0, 0, 0, 0, None, None, None, None, None, 0.4, 0.67, None, 0),
        ("operator", 1, 0, 1, 0, 0, 0, 0, 0.0, 100.0, None, None, 200.0, None, 0.0, None, 0),
        # agent101 busy 330 of 1800 s staffed, agent102 5 of 1200 s: 335 / 3000
        ("sales", 1, 0, 0, 0, 1, 0, 0, 0.0, 0.0, None, None, 120.0, 18.3, 1.0, None, 0),
        ("support", 4, 2, 1, 1, 0, 0, 0, 33.3, 33.3, 53.5, 330.0, 95.0, 11.2, 1.67, 4.0, 1),
    ],
    SECOND: [
        ("billing", 1, 0, 0, 0, 0, 1, 0, None, None, None, None, None, 100.0, 0.2, None, 0),
        ("operator", 0, 0, 0, 0, 0, 0, 0, None, None, None, None, None, None, 0.0, None, 0),
        ("sales", 1, 1, 0, 0, 0, 0, 0, 0.0, 0.0, 110.0, 130.0, 110.0, 7.6, 0.96, None, 0),
        # agent101 busy 130 of 1720 s staffed, agent102 355 of 355: 485 / 2075
        ("support", 0, 0, 0, 0, 0, 0, 1, None, None, None, 360.0, None, 23.4, 1.15, None, 0),
    ],
}
AGENT_COLUMNS = ("agent_id", "offered", "answered", "transfers", "handled", "aht_s",
                 "occupancy_pct")
AGENTS = {
    FIRST: [("agent101", 1, 1, 0, 1, 330.0, 18.3), ("agent102", 1, 1, 0, 0, None, 0.4)],
    SECOND: [("agent101", 2, 1, 0, 1, 130.0, 7.6), ("agent102", 0, 0, 1, 1, 360.0, 100.0)],
}
# seconds in each state (logged_out, available, offered, on_call, wrap_up, paused), and
# paused by reason
AGENT_TIME = {
    (FIRST, "agent101"): ((0, 1468, 2, 300, 30, 0), {}),
    (FIRST, "agent102"): ((600, 1190, 5, 5, 0, 0), {}),
    (SECOND, "agent101"): ((0, 1565, 25, 120, 10, 80), {"no answer": 80}),
    (SECOND, "agent102"): ((0, 0, 0, 295, 60, 1445), {"lunch": 1445}),
}
MEMBERS = {"agent101": ("support", "sales"), "agent102": ("support", "billing"),
           "agent103": ("sales", "billing")}  # as crm/seed.py seeds them
END = datetime.fromtimestamp(t(3600), UTC)
