"""Interval reports from plain rows: the scripted day worked out by hand, every figure's
edge (short abandons, lookback, now, snapshots, surveys), interval boundaries on the local
clock, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contactcenter.acd.agents import Agent, AgentProfile, AgentState
from contactcenter.acd.events import (
    AgentStateChanged,
    CallConnected,
    CallEnded,
    CallOutcome,
    CallQueued,
)
from contactcenter.crm.records import QueueEvent
from contactcenter.ivr.events import IvrFinished
from contactcenter.reports.history import QueueLogRows
from contactcenter.reports.intervals import (
    ALL,
    agent_csv,
    agent_report,
    intervals,
    parse_size,
    queue_csv,
    queue_report,
)
from contactcenter.reports.intervals import Span as Interval
from tests.helpers import SHIPPED, rows, table

from .scripted_day import (
    AGENT_COLUMNS,
    AGENT_TIME,
    AGENTS,
    COLUMNS,
    END,
    EVENTS,
    FIRST,
    MEMBERS,
    PARIS,
    QUEUES,
    SECOND,
    t,
)

SPANS = [Interval(FIRST, SECOND), Interval(SECOND, END)]
LATER = END + timedelta(hours=1)


def test_the_scripted_day_per_queue_matches_the_figures_worked_by_hand() -> None:
    report = queue_report(rows(EVENTS), SPANS, LATER, queues=SHIPPED, members=MEMBERS)
    assert table(report, COLUMNS) == QUEUES
    assert {(r.start, r.end) for r in report} == {(FIRST, SECOND), (SECOND, END)}


def test_the_scripted_day_per_agent_matches_the_figures_worked_by_hand() -> None:
    report = agent_report(rows(EVENTS), SPANS, LATER)
    assert table(report, AGENT_COLUMNS) == AGENTS
    states = ("logged_out", "available", "offered", "on_call", "wrap_up", "paused")
    for row in report:
        seconds, paused = AGENT_TIME[(row.start, row.agent_id)]
        assert tuple(row.seconds[s] for s in states) == seconds, (row.start, row.agent_id)
        assert row.paused == paused


def test_all_queues_together_judge_each_call_by_its_own_queue() -> None:
    first, second = queue_report(rows(EVENTS), SPANS, LATER, queues=SHIPPED,
                                 members=MEMBERS, by_queue=False)
    assert first.queue == ALL
    assert (first.offered, first.answered, first.abandoned, first.short_abandoned,
            first.overflowed) == (6, 2, 2, 1, 1)
    # in time: c1 (support, 12 s); missed: c5 (95 s > 60), c3, c4 twice (sales, operator)
    assert first.service_level_pct == 20.0
    assert first.abandon_rate_pct == 40.0  # c3, c4 of c1 c5 c3 c4 c4
    assert first.occupancy_pct == 11.2  # everyone: 335 of 3000 s
    assert (second.offered, second.transfers, second.callbacks, second.aht_s) == (
        2, 1, 1, 245.0)


def test_now_ends_the_counting_and_later_intervals_are_empty() -> None:
    now = FIRST + timedelta(seconds=900)  # 09:15: agent101 on c1 until 402, then free
    first, second = (r for r in queue_report(rows(EVENTS), SPANS, now, queues=SHIPPED,
                                             members=MEMBERS) if r.queue == "sales")
    assert first.occupancy_pct == round(100 * 330 / 900, 1)
    assert first.staffed_agents == 1.0  # over the 900 s so far
    assert (second.offered, second.occupancy_pct, second.staffed_agents) == (0, None, 0.0)


def test_a_wrap_up_across_the_start_counts_its_call_from_the_lookback() -> None:
    """The rows before the report (its hour of lookback) end calls whose wrap-up ends
    inside it; only what happens inside is counted."""
    before = rows([AgentStateChanged("a", AgentState.ON_CALL, "", "x", t(-200)),
                   CallConnected("x", "a", "support", 5.0, t(-200)),
                   CallEnded("x", "support", CallOutcome.ANSWERED, "a", 5.0, 150.0, t(-50)),
                   AgentStateChanged("a", AgentState.WRAP_UP, "", "x", t(-50)),
                   AgentStateChanged("a", AgentState.AVAILABLE, "", None, t(10))])
    (row,) = [r for r in queue_report(before, SPANS[:1], LATER, queues=SHIPPED,
                                      members={"a": ("support",)}) if r.queue == "support"]
    assert (row.answered, row.asa_s, row.aht_s) == (0, None, 210.0)  # 150 talk + 60 wrap
    assert row.occupancy_pct == round(100 * 10 / 1800, 1)


def snapshot(agent: str, state: AgentState, at: float, call: str | None = None,
             process: str = "p2") -> QueueEvent:
    return QueueLogRows(process).snapshot(
        [Agent(AgentProfile(agent, "SIP/x"), state, call_id=call)], t(at))[0]


def test_a_restart_s_snapshot_ends_a_state_the_store_forgot_and_keeps_one_it_kept() -> None:
    events = rows([AgentStateChanged("a", AgentState.AVAILABLE, "", None, t(0)),
                   AgentStateChanged("b", AgentState.AVAILABLE, "", None, t(0)),
                   AgentStateChanged("c", AgentState.ON_CALL, "", "z", t(0)),
                   CallEnded("z", "support", CallOutcome.ANSWERED, "c", 1.0, 100.0, t(100)),
                   AgentStateChanged("c", AgentState.WRAP_UP, "", "z", t(100))])
    events += [snapshot("a", AgentState.LOGGED_OUT, 600),  # memory store: logged out
               snapshot("b", AgentState.AVAILABLE, 600),  # Redis: as it was
               snapshot("c", AgentState.WRAP_UP, 600, "z")]  # still wrapping up z
    events += rows([AgentStateChanged("c", AgentState.AVAILABLE, "", None, t(700))])
    report = {r.agent_id: r for r in agent_report(events, SPANS[:1], LATER)}
    assert report["a"].seconds["available"] == 600 and report["a"].seconds["logged_out"] == 1200
    assert report["b"].seconds["available"] == 1800
    assert report["c"].seconds["wrap_up"] == 600 and report["c"].aht_s == 700.0


def test_a_rating_counts_for_the_queue_that_answered_and_only_once() -> None:
    def rated(call: str, score: str, at: float) -> IvrFinished:
        return IvrFinished(call, "survey", "v1", "hangup", "thanks", (), {"survey_score": score},
                           t(at))

    events = rows([CallConnected("r", "a", "sales", 3.0, t(10)), rated("r", "5", 100),
                   rated("r", "1", 110), rated("never", "2", 120)])
    by_queue = {r.queue: r for r in queue_report(events, SPANS[:1], LATER, queues=SHIPPED,
                                                 members={})}
    assert (by_queue["sales"].surveys, by_queue["sales"].survey_avg) == (1, 5.0)
    assert sum(r.surveys for r in by_queue.values()) == 1


def test_a_queue_the_log_names_but_the_file_does_not_uses_the_defaults() -> None:
    events = rows([CallQueued("q", "legacy", "+1", t(0)),
                   CallConnected("q", "a", "legacy", 20.0, t(20)),
                   CallQueued("s", "legacy", "+1", t(30)),
                   CallEnded("s", "legacy", CallOutcome.ABANDONED, None, 4.0, 0.0, t(34))])
    (legacy,) = [r for r in queue_report(events, SPANS[:1], LATER, queues={}, members={})]
    assert (legacy.queue, legacy.service_level_pct, legacy.short_abandoned) == (
        "legacy", 100.0, 1)  # 20 s is within the default 20 s; 4 s is under 5 s


@pytest.mark.parametrize(("start", "size", "first", "count"), [
    ("2026-03-02T09:07", "15m", "2026-03-02T09:00", 4),  # 09:00 .. 10:00 in 15 minutes
    ("2026-03-02T09:07", "30m", "2026-03-02T09:00", 2),
    ("2026-03-02T09:37", "60m", "2026-03-02T09:00", 1),
    ("2026-03-02T09:37", "1d", "2026-03-02T00:00", 1),
])
def test_intervals_start_on_the_local_clock(start: str, size: str, first: str,
                                            count: int) -> None:
    begin = datetime.fromisoformat(start).replace(tzinfo=PARIS)
    spans = intervals(begin, datetime(2026, 3, 2, 10, tzinfo=PARIS), parse_size(size), PARIS)
    assert spans[0].start == datetime.fromisoformat(first).replace(tzinfo=PARIS)
    assert len(spans) == count
    assert all(a.end == b.start for a, b in zip(spans, spans[1:], strict=False))


def test_a_day_is_midnight_to_midnight_even_when_the_clocks_change() -> None:
    spans = intervals(datetime(2026, 3, 28, tzinfo=PARIS), datetime(2026, 3, 31, tzinfo=PARIS),
                      parse_size("1d"), PARIS)
    assert [(s.end - s.start).total_seconds() / 3600 for s in spans] == [24, 23, 24]
    hours = intervals(datetime(2026, 3, 29, 1, tzinfo=PARIS), datetime(2026, 3, 29, 4,
                                                                        tzinfo=PARIS),
                      parse_size("60m"), PARIS)
    assert [s.start.astimezone(PARIS).hour for s in hours] == [1, 3]  # 02:00 never was


def test_an_unknown_interval_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="15m, 30m, 60m, 1d"):
        parse_size("20m")
    assert (parse_size("1h"), parse_size("day")) == (3600, 86400)


def test_the_queue_csv_has_a_line_per_row_in_local_time() -> None:
    report = queue_report(rows(EVENTS), SPANS, LATER, queues=SHIPPED, members=MEMBERS)
    lines = list(csv.DictReader(io.StringIO(queue_csv(report, PARIS))))
    assert len(lines) == 8
    support = next(line for line in lines if line["queue"] == "support")
    assert support["start"] == "2026-03-02T09:00:00+01:00"
    assert (support["offered"], support["service_level_pct"], support["asa_s"]) == (
        "4", "33.3", "53.5")
    billing = lines[0]
    assert (billing["queue"], billing["service_level_pct"]) == ("billing", "")  # None


def test_the_agent_csv_has_a_column_per_state_and_per_pause_reason() -> None:
    text = agent_csv(agent_report(rows(EVENTS), SPANS, LATER), ZoneInfo("UTC"))
    lines = list(csv.DictReader(io.StringIO(text)))
    assert list(lines[0])[-8:] == ["logged_out_s", "available_s", "offered_s", "on_call_s",
                                   "wrap_up_s", "paused_s", "paused:lunch_s",
                                   "paused:no answer_s"]
    bob = [line for line in lines if line["agent_id"] == "agent102"]
    assert [line["paused:lunch_s"] for line in bob] == ["0.0", "1445.0"]
    assert bob[0]["start"] == FIRST.astimezone(UTC).isoformat()
