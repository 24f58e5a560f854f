"""Agent time by state: segments from state changes, clipped to any span, paused by reason,
and the occupancy both the wallboard and the reports read."""

from __future__ import annotations

import pytest

from contactcenter.acd.agent_time import AgentTimeline, StateTime, total


def timeline(*changes: tuple[str, str, str, float]) -> AgentTimeline:
    line = AgentTimeline()
    for agent_id, state, reason, at in changes:
        line.change(agent_id, state, reason, at)
    return line


def test_each_state_counts_from_its_change_to_the_next_and_the_last_until_the_end() -> None:
    line = timeline(("a", "available", "", 0.0), ("a", "offered", "", 10.0),
                    ("a", "on_call", "", 15.0), ("a", "wrap_up", "", 75.0),
                    ("a", "paused", "lunch", 90.0))
    time = line.seconds(0.0, 100.0)["a"]
    assert dict(time.by_state) == {"available": 10.0, "offered": 5.0, "on_call": 60.0,
                                   "wrap_up": 15.0, "paused": 10.0}
    assert dict(time.paused_by_reason) == {"lunch": 10.0}
    assert (time.busy_s, time.staffed_s) == (75.0, 90.0)
    assert time.occupancy_pct == round(100 * 75 / 90, 1)


def test_a_span_clips_the_segments_it_cuts() -> None:
    line = timeline(("a", "available", "", 0.0), ("a", "on_call", "", 100.0),
                    ("a", "wrap_up", "", 200.0))
    assert dict(line.seconds(50.0, 150.0)["a"].by_state) == {"available": 50.0,
                                                             "on_call": 50.0}
    assert dict(line.seconds(250.0, 300.0)["a"].by_state) == {"wrap_up": 50.0}
    assert line.seconds(-100.0, 0.0) == {}  # before the first change: nothing known


def test_pauses_are_split_by_reason_and_a_pause_may_change_its_reason() -> None:
    line = timeline(("a", "paused", "break", 0.0), ("a", "paused", "training", 30.0),
                    ("a", "paused", "break", 90.0), ("a", "logged_out", "", 100.0))
    time = line.seconds(0.0, 200.0)["a"]
    assert dict(time.paused_by_reason) == {"break": 40.0, "training": 60.0}
    assert time.by_state["paused"] == 100.0 and time.by_state["logged_out"] == 100.0
    assert time.occupancy_pct is None  # never staffed


def test_the_same_state_said_again_goes_on_and_a_late_change_starts_no_earlier() -> None:
    line = timeline(("a", "available", "", 0.0), ("a", "available", "", 50.0),
                    ("a", "on_call", "", 100.0), ("a", "wrap_up", "", 90.0))
    time = line.seconds(0.0, 150.0)["a"]
    assert dict(time.by_state) == {"available": 100.0, "wrap_up": 50.0}


def test_agents_are_kept_apart_and_can_be_chosen() -> None:
    line = timeline(("a", "on_call", "", 0.0), ("b", "available", "", 0.0))
    assert set(line.seconds(0.0, 10.0)) == {"a", "b"}
    assert set(line.seconds(0.0, 10.0, ["b", "c"])) == {"b"}
    both = total(line.seconds(0.0, 10.0).values())
    assert (both.busy_s, both.staffed_s, both.occupancy_pct) == (10.0, 20.0, 50.0)


def test_forgetting_drops_only_what_ended_before() -> None:
    line = timeline(("a", "available", "", 0.0), ("a", "on_call", "", 10.0),
                    ("a", "wrap_up", "", 20.0))
    line.forget_before(15.0)
    assert dict(line.seconds(0.0, 30.0)["a"].by_state) == {"on_call": 10.0, "wrap_up": 10.0}
    assert line.current("a") is not None and line.current("a").state == "wrap_up"


def test_empty_time_has_no_occupancy() -> None:
    assert StateTime().occupancy_pct is None
    assert total([]).busy_s == pytest.approx(0.0)
