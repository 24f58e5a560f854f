"""Staffing per queue from its last interval (pure): the arrival rate and AHT the queue log
recorded, through Erlang C (acd/staffing.py), give the agents the queue needed to meet its
service-level target (queues.yaml service_level_seconds and service_level_target_pct),
next to the agents it had (the mean logged in and not paused over the interval)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from contactcenter.acd.metrics import DEFAULT_SERVICE_LEVEL_S
from contactcenter.acd.staffing import Staffing, agents_needed
from contactcenter.queue_config import QueueDefinition
from contactcenter.reports.intervals import QueueRow, Span

DEFAULT_TARGET_PCT = QueueDefinition("").service_level_target_pct


@dataclass(frozen=True)
class QueuePlan:
    """`needed` is None when the interval finished no call (no handle time to plan with)."""

    queue: str
    start: datetime
    end: datetime
    offered: int
    calls_per_hour: float
    aht_s: float | None
    target_pct: float
    target_s: float
    needed: Staffing | None
    staffed_agents: float


def last_complete(spans: Sequence[Span], now: datetime) -> Span | None:
    """The latest interval that has ended by `now`."""
    done = [span for span in spans if span.end <= now]
    return done[-1] if done else None


def plans(report: Sequence[QueueRow], queues: Mapping[str, QueueDefinition]) -> list[QueuePlan]:
    """One plan per row of a one-interval queue report."""
    return [plan(row, queues.get(row.queue)) for row in report]


def plan(row: QueueRow, definition: QueueDefinition | None) -> QueuePlan:
    target_s = definition.service_level_seconds if definition else DEFAULT_SERVICE_LEVEL_S
    target_pct = definition.service_level_target_pct if definition else DEFAULT_TARGET_PCT
    seconds = (row.end - row.start).total_seconds()
    rate = row.offered / seconds
    needed = None if row.aht_s is None else agents_needed(rate, row.aht_s, target_pct,
                                                            target_s)
    return QueuePlan(row.queue, row.start, row.end, row.offered, round(rate * 3600, 1),
                     row.aht_s, target_pct, target_s, needed, row.staffed_agents)
