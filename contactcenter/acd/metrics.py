"""Wallboard metrics (pure): the ACD's events in, per-queue, per-agent and overall figures
out.

Fed the distributor's own events (CallConnected, CallOverflowed, CallEnded,
AgentStateChanged) as they happen, and the IVR's IvrFinished (a post-call survey's rating);
`figures()` adds what is true now (the calls waiting, the agents) and counts only what
happened inside the window: the last `window_seconds`, or since midnight in `tz` when
window_seconds is 0 ("today"). What falls out of the window is forgotten as events come in,
not only when the board is read: memory stays flat however long nobody reads it.

Definitions (what a supervisor reads):
- answered / ASA / service level are counted when the agent answers;
  abandoned and overflowed when the caller leaves the queue; AHT when wrap-up ends.
- short abandons: callers who hung up after waiting less than the queue's
  short_abandon_seconds (queues.yaml, default 5 s): a misdial or a caller who changed their
  mind, not someone the queue failed. Counted apart (short_abandoned) and left out of
  abandoned, the abandon rate and the service level.
- service level = answered within the queue's service_level_seconds, over answered plus
  abandoned or overflowed after that threshold. Abandons (and overflows) within the
  threshold are left out: the queue could not be expected to answer them yet.
- abandon rate = abandoned (short ones apart) over answered + abandoned + overflowed.
- ASA = mean wait of answered calls; AHT = mean talk + wrap-up of finished calls.
- occupancy = time on a call and in wrap-up over time logged in and not paused (available,
  offered, on a call, in wrap-up), in the window (acd/agent_time.py). Per agent; per queue
  over the agents who serve it (an agent in two queues counts in both); in total over
  every agent.
- overflowed counts calls that left this queue by an overflow rule or limit
  (CallOverflowed), to another queue or out of the ACD.
- survey_avg = mean post-call survey rating (1-5) of the ratings given in the window, each
  counted for the queue whose agent last answered the call; surveys = how many. The survey
  runs after the call ended, so the queue comes from a bounded memory of the last
  ANSWERS_KEPT answered calls; a rating of a call not in it (a platform restart since)
  is in the interaction history only.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import assert_never

from contactcenter.acd.agent_time import AgentTimeline, StateTime, total
from contactcenter.acd.agents import Agent, AgentState
from contactcenter.acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallbackQueued,
    CallConnected,
    CallEnded,
    CallMoved,
    CallOffered,
    CallOutcome,
    CallOverflowed,
    CallQueued,
    CallTransferred,
    MonitorEnded,
    MonitorModeChanged,
    MonitorStarted,
    OfferExplained,
    Reconciled,
)
from contactcenter.acd.routing import WaitingCall
from contactcenter.ivr.events import CallbackRequested, IvrEvent, IvrFinished
from contactcenter.queue_config import QueueDefinition

DEFAULT_SERVICE_LEVEL_S = 20.0
DEFAULT_SHORT_ABANDON_S = 5.0
ANSWERS_KEPT = 10_000  # answered calls whose queue a later survey rating is counted for


@dataclass(frozen=True)
class _Fact:
    """One finished thing in one queue: `kind` is answered, abandoned, short_abandoned,
    overflowed, handled or survey; `value` is the wait in seconds (handled: talk + wrap-up; survey: the
    rating)."""

    kind: str
    queue: str
    value: float
    at: float


class QueueMetrics:
    """Sliding-window wallboard figures; `record()` every ACD event, `figures()` to read."""

    def __init__(self, queues: Mapping[str, QueueDefinition] | None = None, *,
                 window_seconds: float = 900.0, tz: tzinfo = UTC) -> None:
        self.queues = dict(queues or {})
        self.window_seconds = window_seconds
        self.tz = tz
        self._facts: deque[_Fact] = deque()
        self._talk: dict[str, tuple[str, float]] = {}  # call_id -> (queue, talk_s)
        self._wrapping: dict[str, tuple[str, float]] = {}  # agent_id -> (call_id, since)
        self._answered: OrderedDict[str, str] = OrderedDict()  # call_id -> queue, oldest first
        self._agents = AgentTimeline()

    def window_start(self, now: float) -> float:
        if self.window_seconds > 0:
            return now - self.window_seconds
        day = datetime.fromtimestamp(now, self.tz).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
        return day.timestamp()

    def service_level_s(self, queue: str) -> float:
        definition = self.queues.get(queue)
        return definition.service_level_seconds if definition else DEFAULT_SERVICE_LEVEL_S

    def short_abandon_s(self, queue: str) -> float:
        definition = self.queues.get(queue)
        return definition.short_abandon_seconds if definition else DEFAULT_SHORT_ABANDON_S

    def record(self, event: AcdEvent | IvrEvent) -> None:
        """Take in one ACD or IVR event; the others say nothing the board counts."""
        match event:
            case CallConnected():
                self._add(_Fact("answered", event.queue, event.wait_s, event.at))
                self._answered[event.call_id] = event.queue
                self._answered.move_to_end(event.call_id)  # answered again: by its last queue
                if len(self._answered) > ANSWERS_KEPT:
                    self._answered.popitem(last=False)
            case CallOverflowed():
                self._add(_Fact("overflowed", event.queue, event.wait_s, event.at))
            case CallEnded(outcome=CallOutcome.ANSWERED):
                self._talk[event.call_id] = (event.queue, event.talk_s)
            case CallEnded(outcome=CallOutcome.ABANDONED):
                short = event.wait_s < self.short_abandon_s(event.queue)
                self._add(_Fact("short_abandoned" if short else "abandoned", event.queue,
                                event.wait_s, event.at))
            case AgentStateChanged():
                self._agent_changed(event)
            case IvrFinished() if event.survey_score is not None:
                queue = self._answered.pop(event.uniqueid, None)  # one rating per answer
                if queue is not None:
                    self._add(_Fact("survey", queue, event.survey_score, event.at))
            case (CallEnded() | CallQueued() | CallOffered() | CallbackQueued()
                  | CallTransferred() | Reconciled() | IvrFinished() | CallbackRequested()
                  | OfferExplained() | CallMoved() | MonitorStarted() | MonitorModeChanged()
                  | MonitorEnded()):
                pass
            case _:
                assert_never(event)

    def _agent_changed(self, event: AgentStateChanged) -> None:
        self._agents.change(event.agent_id, event.state, event.reason, event.at)
        self._agents.forget_before(self.window_start(event.at))
        ended = self._wrapping.pop(event.agent_id, None)
        if ended is not None:
            call_id, since = ended
            queue, talk_s = self._talk.pop(call_id, ("", 0.0))
            if queue:
                self._add(_Fact("handled", queue, talk_s + event.at - since, event.at))
        if event.state is AgentState.WRAP_UP and event.call_id:
            self._wrapping[event.agent_id] = (event.call_id, event.at)

    def _add(self, fact: _Fact) -> None:
        """Keep a fact and forget those the window left behind as of it."""
        self._facts.append(fact)
        self._forget_before(self.window_start(fact.at))

    def _forget_before(self, start: float) -> None:
        while self._facts and self._facts[0].at < start:
            self._facts.popleft()

    def average_handle_s(self, queue: str, now: float) -> float | None:
        """Mean talk + wrap-up of the queue's calls finished in the window (for EWT)."""
        handled = [f.value for f in self._window(now) if f.kind == "handled"
                   and f.queue == queue]
        return sum(handled) / len(handled) if handled else None

    def figures(self, now: float, waiting: Iterable[WaitingCall],
                agents: Iterable[Agent]) -> dict[str, object]:
        """{"queues": {name: figures}, "total": figures, "window_start": epoch s,
        "agent_occupancy": {agent_id: occupancy_pct}}.

        figures = waiting, longest_wait_s, agents {state: n}, answered, abandoned,
        short_abandoned, overflowed, service_level_pct, service_level_s (queues only),
        abandon_rate_pct, asa_s, aht_s, occupancy_pct, survey_avg, surveys. A rate or
        average with nothing to count is None. The agents' states now (from the store) are
        the truth: an agent whose change this process did not see counts from its `since`."""
        facts = self._window(now)
        calls, members = list(waiting), list(agents)
        times = self._agent_times(now, members)
        names = set(self.queues) | {c.queue for c in calls} | {f.queue for f in facts}
        names |= {q for a in members for q in a.profile.queues}
        queues = {}
        for name in sorted(names):
            queues[name] = {
                **self._figures(now, [c for c in calls if c.queue == name],
                                [a for a in members if name in a.profile.queues],
                                [f for f in facts if f.queue == name], times),
                "service_level_s": self.service_level_s(name)}
        return {"queues": queues, "total": self._figures(now, calls, members, facts, times),
                "window_start": self.window_start(now),
                "agent_occupancy": {a.agent_id: times[a.agent_id].occupancy_pct
                                    if a.agent_id in times else None for a in members}}

    def _agent_times(self, now: float, agents: list[Agent]) -> dict[str, StateTime]:
        start = self.window_start(now)
        for agent in agents:
            current = self._agents.current(agent.agent_id)
            if current is None or agent.since > current.start:
                self._agents.change(agent.agent_id, agent.state.value, agent.reason,
                                    agent.since)
        self._agents.forget_before(start)
        return self._agents.seconds(start, now)

    def _window(self, now: float) -> list[_Fact]:
        self._forget_before(self.window_start(now))
        return [f for f in self._facts if f.at <= now]

    def _figures(self, now: float, calls: list[WaitingCall], agents: list[Agent],
                 facts: list[_Fact], times: dict[str, StateTime]) -> dict[str, object]:
        by_kind: dict[str, list[_Fact]] = {"answered": [], "abandoned": [], "overflowed": [],
                                           "short_abandoned": [], "handled": [], "survey": []}
        for fact in facts:
            by_kind[fact.kind].append(fact)
        answered, abandoned = by_kind["answered"], by_kind["abandoned"]
        overflowed, surveys = by_kind["overflowed"], by_kind["survey"]
        in_time = sum(f.value <= self.service_level_s(f.queue) for f in answered)
        late = sum(f.value > self.service_level_s(f.queue) for f in abandoned + overflowed)
        return {
            "waiting": len(calls),
            "longest_wait_s": round(max((now - c.entered_at for c in calls), default=0.0), 1),
            "agents": {state.value: sum(a.state is state for a in agents)
                       for state in AgentState},
            "answered": len(answered),
            "abandoned": len(abandoned),
            "short_abandoned": len(by_kind["short_abandoned"]),
            "overflowed": len(overflowed),
            "service_level_pct": _percent(in_time, len(answered) + late),
            "abandon_rate_pct": _percent(len(abandoned),
                                         len(answered) + len(abandoned) + len(overflowed)),
            "asa_s": _mean(answered),
            "aht_s": _mean(by_kind["handled"]),
            "occupancy_pct": total(times[a.agent_id] for a in agents
                                   if a.agent_id in times).occupancy_pct,
            "survey_avg": _mean(surveys),
            "surveys": len(surveys),
        }


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _mean(facts: list[_Fact]) -> float | None:
    return round(sum(f.value for f in facts) / len(facts), 1) if facts else None
