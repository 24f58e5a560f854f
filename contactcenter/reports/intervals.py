"""Interval reports (pure): queue log rows in, figures per interval per queue or per agent.

Intervals are 15, 30 or 60 minutes or a day, on the local clock of the report's zone
(quarter hours from :00, days from midnight); the last may reach past now, which counts
nothing after now. Each figure counts what happened in its interval, defined as on the
wallboard (acd/metrics.py), so the two agree:

- offered: calls that entered the queue (an overflow or a transfer into it counts there);
  answered, with ASA (mean wait) and service level, when the agent answered; abandoned,
  short_abandoned (under the queue's short_abandon_seconds: apart, and out of the rates)
  and overflowed when the caller left; callbacks when one was queued; transfers when the
  agent handed the caller on; AHT (talk + wrap-up) when the wrap-up ended.
- service level: answered within service_level_seconds over answered plus abandoned or
  overflowed after it. Abandon rate: abandoned over answered + abandoned + overflowed.
- longest wait: the longest any caller who left the queue in the interval had waited.
- occupancy: time on calls and in wrap-up over time logged in and not paused
  (acd/agent_time.py); per queue over the agents who serve it (`members`); staffed: the
  mean number of those agents logged in and not paused.
- per agent: calls offered (rung) and answered, transfers, AHT, occupancy, seconds in each
  state and paused by reason.

Rows come from every platform process (crm/queue_log.py keeps one row per event); a report
over [start, end) also reads the hour before `start` (LOOKBACK) and each agent's state
then, for the calls and wrap-ups that span the start.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, tzinfo

from contactcenter.acd.agent_time import AgentTimeline, StateTime, total
from contactcenter.acd.agents import AgentState
from contactcenter.acd.metrics import DEFAULT_SERVICE_LEVEL_S, DEFAULT_SHORT_ABANDON_S
from contactcenter.crm.queue_log import AGENT
from contactcenter.crm.records import QueueEvent
from contactcenter.queue_config import QueueDefinition

SIZES = {"15m": 900, "30m": 1800, "60m": 3600, "1d": 86400}
DAY = SIZES["1d"]
LOOKBACK = timedelta(hours=1)
ALL = "all"  # the group of every queue


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class QueueRow:
    """One queue (or ALL) in one interval. Rates and means with nothing to count are None."""

    start: datetime
    end: datetime
    queue: str
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    overflowed: int = 0
    callbacks: int = 0
    transfers: int = 0
    service_level_pct: float | None = None
    abandon_rate_pct: float | None = None
    asa_s: float | None = None
    aht_s: float | None = None
    longest_wait_s: float | None = None
    occupancy_pct: float | None = None
    staffed_agents: float = 0.0
    survey_avg: float | None = None
    surveys: int = 0


@dataclass(frozen=True)
class AgentRow:
    """One agent in one interval; `seconds` has every state, `paused` each pause reason."""

    start: datetime
    end: datetime
    agent_id: str
    offered: int = 0
    answered: int = 0
    transfers: int = 0
    handled: int = 0
    aht_s: float | None = None
    occupancy_pct: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    paused: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Fact:
    """One thing that happened: `value` is a wait, a handle time or a rating; `in_time`
    is the fact's say in the service level (True: answered in time, False: missed it,
    None: not counted)."""

    kind: str
    at: datetime
    queue: str
    agent_id: str = ""
    value: float = 0.0
    in_time: bool | None = None


def parse_size(text: str) -> int:
    """"15m" | "30m" | "60m" | "1d" (also "1h", "day") -> seconds; ValueError otherwise."""
    size = SIZES.get({"1h": "60m", "day": "1d"}.get(text, text))
    if size is None:
        raise ValueError(f"interval {text!r}: one of {', '.join(SIZES)}")
    return size


def intervals(start: datetime, end: datetime, size_s: int, tz: tzinfo) -> list[Span]:
    """The intervals that cover [start, end): the first begins on the local clock's
    boundary at or before `start`; a day is local midnight to midnight (23 or 25 hours
    when the clocks change)."""
    if size_s not in SIZES.values():
        raise ValueError(f"an interval is one of {sorted(SIZES.values())} seconds")
    local = start.astimezone(tz)
    if size_s == DAY:
        day = local.date()
        spans, moment = [], _midnight(day, tz)
        while moment < end:
            day += timedelta(days=1)
            spans.append(Span(moment, after := _midnight(day, tz)))
            moment = after
        return spans
    minutes = (local.hour * 60 + local.minute) // (size_s // 60) * (size_s // 60)
    moment = local.replace(hour=minutes // 60, minute=minutes % 60, second=0,
                           microsecond=0).astimezone(UTC)  # then steps of real time
    spans = []
    while moment < end:
        spans.append(Span(moment, moment + timedelta(seconds=size_s)))
        moment += timedelta(seconds=size_s)
    return spans


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def queue_report(rows: Iterable[QueueEvent], spans: Sequence[Span], now: datetime, *,
                 queues: Mapping[str, QueueDefinition],
                 members: Mapping[str, Collection[str]],
                 by_queue: bool = True) -> list[QueueRow]:
    """Per interval, one row per queue (every defined queue and any the log names), or one
    row for ALL queues (by_queue False); in interval order, then queue name.
    `members`: agent -> the queues they serve. Rows must be in time order, the agents'
    states at the lookback start first."""
    rows = list(rows)
    facts = _facts(rows, queues)
    timeline = _timeline(rows)
    names = sorted(set(queues) | {f.queue for f in facts if f.queue}) if by_queue else [ALL]
    report = []
    for span in spans:
        until = min(span.end, now)
        times = timeline.seconds(span.start.timestamp(), until.timestamp()) \
            if until > span.start else {}
        inside = [f for f in facts if span.start <= f.at < until]
        for name in names:
            serving = [t for agent, t in times.items()
                       if not by_queue or name in members.get(agent, ())]
            report.append(_queue_row(span, name, [f for f in inside
                                                  if not by_queue or f.queue == name],
                                     total(serving), until))
    return report


def agent_report(rows: Iterable[QueueEvent], spans: Sequence[Span],
                 now: datetime) -> list[AgentRow]:
    """Per interval, one row per agent who did anything in the report (a state other than
    logged out, or a call), by agent id."""
    rows = list(rows)
    facts = _facts(rows, {})
    timeline = _timeline(rows)
    per_span = []
    for span in spans:
        until = min(span.end, now)
        times = timeline.seconds(span.start.timestamp(), until.timestamp()) \
            if until > span.start else {}
        per_span.append((span, times, [f for f in facts if span.start <= f.at < until
                                       and f.agent_id]))
    active = {agent for _, times, inside in per_span for agent, time in times.items()
              if time.by_state.keys() - {AgentState.LOGGED_OUT.value}}
    active |= {f.agent_id for _, _, inside in per_span for f in inside}
    return [_agent_row(span, agent, times.get(agent, StateTime()),
                       [f for f in inside if f.agent_id == agent])
            for span, times, inside in per_span for agent in sorted(active)]


def _queue_row(span: Span, name: str, facts: list[_Fact], time: StateTime,
               until: datetime) -> QueueRow:
    by_kind = _by_kind(facts)
    answered, abandoned = by_kind["answered"], by_kind["abandoned"]
    overflowed, handled, surveys = by_kind["overflowed"], by_kind["handled"], by_kind["survey"]
    judged = [f.in_time for f in facts if f.in_time is not None]
    left = answered + abandoned + by_kind["short_abandoned"] + overflowed
    length = (until - span.start).total_seconds()
    return QueueRow(
        span.start, span.end, name, offered=len(by_kind["offered"]), answered=len(answered),
        abandoned=len(abandoned), short_abandoned=len(by_kind["short_abandoned"]),
        overflowed=len(overflowed), callbacks=len(by_kind["callback"]),
        transfers=len(by_kind["transfer"]),
        service_level_pct=_percent(sum(judged), len(judged)),
        abandon_rate_pct=_percent(len(abandoned),
                                  len(answered) + len(abandoned) + len(overflowed)),
        asa_s=_mean(answered), aht_s=_mean(handled),
        longest_wait_s=round(max(f.value for f in left), 1) if left else None,
        occupancy_pct=time.occupancy_pct,
        staffed_agents=round(time.staffed_s / length, 2) if length > 0 else 0.0,
        survey_avg=_mean(surveys), surveys=len(surveys))


def _agent_row(span: Span, agent: str, time: StateTime, facts: list[_Fact]) -> AgentRow:
    by_kind = _by_kind(facts)
    return AgentRow(
        span.start, span.end, agent, offered=len(by_kind["rung"]),
        answered=len(by_kind["answered"]), transfers=len(by_kind["transfer"]),
        handled=len(by_kind["handled"]), aht_s=_mean(by_kind["handled"]),
        occupancy_pct=time.occupancy_pct,
        seconds={state.value: round(time.by_state.get(state.value, 0.0), 1)
                 for state in AgentState},
        paused={reason: round(seconds, 1)
                for reason, seconds in sorted(time.paused_by_reason.items())})


def _by_kind(facts: list[_Fact]) -> dict[str, list[_Fact]]:
    by_kind: dict[str, list[_Fact]] = defaultdict(list)
    for fact in facts:
        by_kind[fact.kind].append(fact)
    return by_kind


def _facts(rows: list[QueueEvent], queues: Mapping[str, QueueDefinition]) -> list[_Fact]:
    """What each row means for the figures, in row order."""
    def level_s(queue: str) -> float:
        return queues[queue].service_level_seconds if queue in queues \
            else DEFAULT_SERVICE_LEVEL_S

    def short_s(queue: str) -> float:
        return queues[queue].short_abandon_seconds if queue in queues \
            else DEFAULT_SHORT_ABANDON_S

    facts: list[_Fact] = []
    talk: dict[str, tuple[str, str, float]] = {}  # call -> (queue, agent, talk_s), ended
    wrapping: dict[str, tuple[str, datetime]] = {}  # agent -> (call, wrap-up since)
    answered_in: dict[str, str] = {}  # call -> queue it was last answered from
    for row in rows:
        data, at, queue = row.data, row.at, row.queue
        wait = float(data.get("wait_s", 0.0))
        if row.event == "queued":
            facts.append(_Fact("offered", at, queue))
        elif row.event == "offered":
            facts.append(_Fact("rung", at, queue, row.agent_id))
        elif row.event == "connected":
            answered_in[row.call_id] = queue
            facts.append(_Fact("answered", at, queue, row.agent_id, wait,
                               wait <= level_s(queue)))
        elif row.event == "ended" and data.get("outcome") == "abandoned":
            short = wait < short_s(queue)
            facts.append(_Fact("short_abandoned" if short else "abandoned", at, queue, "",
                               wait, None if short or wait <= level_s(queue) else False))
        elif row.event == "ended" and data.get("outcome") == "answered":
            talk[row.call_id] = (queue, row.agent_id, float(data.get("talk_s", 0.0)))
        elif row.event == "overflowed":
            facts.append(_Fact("overflowed", at, queue, "", wait,
                               None if wait <= level_s(queue) else False))
        elif row.event in ("callback", "transfer"):
            facts.append(_Fact(row.event, at, queue, row.agent_id))
        elif row.event == "survey" and row.call_id in answered_in:
            facts.append(_Fact("survey", at, answered_in.pop(row.call_id), "",
                               float(data.get("score", 0))))
        elif row.event == AGENT:
            facts += _wrap_up_end(row, wrapping, talk)
    return facts


def _wrap_up_end(row: QueueEvent, wrapping: dict[str, tuple[str, datetime]],
                 talk: dict[str, tuple[str, str, float]]) -> list[_Fact]:
    """An agent's state change: the end of a wrap-up is a handled call (talk + wrap-up)."""
    state, agent = row.data.get("state"), row.agent_id
    current = wrapping.get(agent)
    if state == AgentState.WRAP_UP.value and row.call_id:
        if current is None or current[0] != row.call_id:  # not a snapshot of the same one
            wrapping[agent] = (row.call_id, row.at)
        return []
    if current is None:
        return []
    del wrapping[agent]
    call, since = current
    if call not in talk:
        return []  # its end is not in the log (before the lookback)
    queue, _, talk_s = talk.pop(call)
    return [_Fact("handled", row.at, queue, agent,
                  talk_s + (row.at - since).total_seconds())]


def _timeline(rows: list[QueueEvent]) -> AgentTimeline:
    timeline = AgentTimeline()
    for row in rows:
        if row.event == AGENT:
            timeline.change(row.agent_id, str(row.data.get("state", "")),
                            str(row.data.get("reason", "")), row.at.timestamp())
    return timeline


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _mean(facts: list[_Fact]) -> float | None:
    return round(sum(f.value for f in facts) / len(facts), 1) if facts else None


QUEUE_COLUMNS = tuple(f.name for f in fields(QueueRow))
AGENT_COLUMNS = tuple(f.name for f in fields(AgentRow) if f.name not in ("seconds", "paused"))


def queue_csv(report: Sequence[QueueRow], tz: tzinfo) -> str:
    """One line per row; times in ISO 8601 in the report's zone, an empty cell for None."""
    return _csv(QUEUE_COLUMNS, ([_cell(getattr(row, c), tz) for c in QUEUE_COLUMNS]
                                for row in report))


def agent_csv(report: Sequence[AgentRow], tz: tzinfo) -> str:
    """One line per row, then a column per state (`<state>_s`) and per pause reason seen
    anywhere in the report (`paused:<reason>_s`)."""
    reasons = sorted({reason for row in report for reason in row.paused})
    header = (*AGENT_COLUMNS, *(f"{state.value}_s" for state in AgentState),
              *(f"paused:{reason}_s" for reason in reasons))
    return _csv(header, ([*(_cell(getattr(row, c), tz) for c in AGENT_COLUMNS),
                          *(row.seconds.get(state.value, 0.0) for state in AgentState),
                          *(row.paused.get(reason, 0.0) for reason in reasons)]
                         for row in report))


def _csv(header: Sequence[str], lines: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(lines)
    return out.getvalue()


def _cell(value: object, tz: tzinfo) -> object:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    return "" if value is None else value
