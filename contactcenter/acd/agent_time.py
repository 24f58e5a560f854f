"""Agent time by state (pure): state changes in, seconds per state and pause reason out, over
any span. The wallboard (acd/metrics.py, a sliding window, live) and the interval reports
(reports/intervals.py, from the queue log) both count with it, so their occupancy agrees.

Occupancy = time on a call and in wrap-up over time logged in and not paused (available,
offered, on a call, in wrap-up), in the span: the share of their working time agents spent
handling calls. Ringing counts as working, not busy: an agent whose phone rings could have
been offered the call sooner.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from contactcenter.acd.agents import AgentState

BUSY = frozenset({AgentState.ON_CALL.value, AgentState.WRAP_UP.value})
STAFFED = BUSY | {AgentState.AVAILABLE.value, AgentState.OFFERED.value}
PAUSED = AgentState.PAUSED.value


@dataclass(frozen=True)
class Segment:
    """An agent in one state from `start` until `end` (math.inf while it lasts)."""

    agent_id: str
    state: str
    reason: str
    start: float
    end: float = math.inf


@dataclass
class StateTime:
    """Seconds of one agent (or a group) in each state, and paused by reason, in a span."""

    by_state: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    paused_by_reason: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def busy_s(self) -> float:
        return sum(self.by_state.get(state, 0.0) for state in BUSY)

    @property
    def staffed_s(self) -> float:
        return sum(self.by_state.get(state, 0.0) for state in STAFFED)

    @property
    def occupancy_pct(self) -> float | None:
        """Busy over staffed time, in percent; None without staffed time."""
        staffed = self.staffed_s
        return round(100.0 * self.busy_s / staffed, 1) if staffed > 0 else None

    def add(self, other: StateTime) -> None:
        for state, seconds in other.by_state.items():
            self.by_state[state] += seconds
        for reason, seconds in other.paused_by_reason.items():
            self.paused_by_reason[reason] += seconds


class AgentTimeline:
    """Each agent's segments: `change()` for every state change, in time order per agent
    (a change older than the agent's current segment counts from that segment's start)."""

    def __init__(self) -> None:
        self._open: dict[str, Segment] = {}
        self._closed: deque[Segment] = deque()

    def current(self, agent_id: str) -> Segment | None:
        return self._open.get(agent_id)

    def change(self, agent_id: str, state: str, reason: str, at: float) -> None:
        current = self._open.get(agent_id)
        if current is not None:
            at = max(at, current.start)
            if (current.state, current.reason) == (state, reason):
                return  # the same state said again (a snapshot): the segment goes on
            if at > current.start:
                self._closed.append(replace(current, end=at))
        self._open[agent_id] = Segment(agent_id, state, reason if state == PAUSED else "", at)

    def forget_before(self, moment: float) -> None:
        """Drop segments that ended before `moment` (the oldest first, as they closed)."""
        while self._closed and self._closed[0].end < moment:
            self._closed.popleft()

    def seconds(self, start: float, end: float,
                agent_ids: Iterable[str] | None = None) -> dict[str, StateTime]:
        """agent -> StateTime within [start, end); an open segment lasts until `end`."""
        wanted = None if agent_ids is None else set(agent_ids)
        times: dict[str, StateTime] = {}
        for segment in (*self._closed, *self._open.values()):
            if wanted is not None and segment.agent_id not in wanted:
                continue
            seconds = min(segment.end, end) - max(segment.start, start)
            if seconds <= 0:
                continue
            time = times.setdefault(segment.agent_id, StateTime())
            time.by_state[segment.state] += seconds
            if segment.state == PAUSED:
                time.paused_by_reason[segment.reason or "-"] += seconds
        return times


def total(times: Iterable[StateTime]) -> StateTime:
    """The sum of several agents' times (a queue's, or everyone's)."""
    summed = StateTime()
    for time in times:
        summed.add(time)
    return summed
