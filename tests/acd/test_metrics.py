"""Wallboard metrics from plain events: counts, service level, abandon rate, short abandons,
ASA, AHT, occupancy, post-call survey ratings, the sliding window and "today"."""

from __future__ import annotations

import tracemalloc
from datetime import timedelta, timezone

import pytest

from contactcenter.acd.agents import Agent, AgentProfile, AgentState
from contactcenter.acd.events import (
    AgentStateChanged,
    CallConnected,
    CallEnded,
    CallOutcome,
    CallOverflowed,
    CallQueued,
)
from contactcenter.acd.metrics import ANSWERS_KEPT, DEFAULT_SERVICE_LEVEL_S, QueueMetrics
from contactcenter.acd.routing import WaitingCall
from contactcenter.ivr.events import IvrFinished
from contactcenter.queue_config import QueueDefinition

QUEUES = {"support": QueueDefinition("support", service_level_seconds=30),
          "sales": QueueDefinition("sales", service_level_seconds=10,
                                   short_abandon_seconds=12)}


def metrics(*events: object, window: float = 3600.0) -> QueueMetrics:
    m = QueueMetrics(QUEUES, window_seconds=window)
    for event in events:
        m.record(event)
    return m


def answered(cid: str, wait: float, at: float, queue: str = "support") -> CallConnected:
    return CallConnected(cid, "agent1", queue, wait, at)


def abandoned(cid: str, wait: float, at: float, queue: str = "support") -> CallEnded:
    return CallEnded(cid, queue, CallOutcome.ABANDONED, None, wait, 0.0, at)


def handled(cid: str, agent: str, talk: float, end: float, wrap: float,
            queue: str = "support") -> list[object]:
    """The events of one call's end: CallEnded(answered), wrap-up, then available."""
    return [CallEnded(cid, queue, CallOutcome.ANSWERED, agent, 5.0, talk, end),
            AgentStateChanged(agent, AgentState.WRAP_UP, "", cid, end),
            AgentStateChanged(agent, AgentState.AVAILABLE, "", None, end + wrap)]


def rated(cid: str, score: str, at: float) -> IvrFinished:
    """The end of the caller's post-call survey (flows/survey.yaml) on their channel."""
    return IvrFinished(cid, "survey", "v1", "hangup", "thanks", ("rate", "thanks"),
                       {"survey_score": score}, at)


def agent(name: str, state: AgentState, queues: tuple[str, ...] = ("support",)) -> Agent:
    return Agent(AgentProfile(name, f"SIP/{name}", dict.fromkeys(queues, 0)), state)


def waiting(cid: str, entered: float, queue: str = "support") -> WaitingCall:
    return WaitingCall(cid, f"SIP/c-{cid}", queue, entered)


def test_empty_metrics_list_the_defined_queues_with_no_rates() -> None:
    board = metrics().figures(1000.0, [], [])
    assert set(board["queues"]) == {"sales", "support"}
    support = board["queues"]["support"]
    assert support["waiting"] == 0 and support["longest_wait_s"] == 0.0
    assert (support["answered"], support["abandoned"], support["overflowed"]) == (0, 0, 0)
    for key in ("service_level_pct", "abandon_rate_pct", "asa_s", "aht_s", "survey_avg"):
        assert support[key] is None and board["total"][key] is None
    assert support["surveys"] == 0 and board["total"]["surveys"] == 0
    assert support["service_level_s"] == 30


def test_waiting_longest_wait_and_agents_by_state_come_from_now() -> None:
    calls = [waiting("a", 900.0), waiting("b", 960.0), waiting("c", 990.0, "sales")]
    agents = [agent("x", AgentState.AVAILABLE), agent("y", AgentState.ON_CALL),
              agent("z", AgentState.PAUSED, ("support", "sales")),
              agent("w", AgentState.AVAILABLE, ("billing",))]
    board = metrics().figures(1000.0, calls, agents)
    support, sales, billing = (board["queues"][q] for q in ("support", "sales", "billing"))
    assert (support["waiting"], support["longest_wait_s"]) == (2, 100.0)
    assert (sales["waiting"], sales["longest_wait_s"]) == (1, 10.0)
    assert support["agents"] == {"logged_out": 0, "available": 1, "offered": 0, "on_call": 1,
                                 "wrap_up": 0, "paused": 1}
    assert sales["agents"]["paused"] == 1 and billing["agents"]["available"] == 1
    total = board["total"]
    assert (total["waiting"], total["longest_wait_s"]) == (3, 100.0)
    assert total["agents"]["available"] == 2  # each agent once, whatever their queues


def test_service_level_counts_late_abandons_and_leaves_short_ones_out() -> None:
    m = metrics(answered("a1", 10.0, 100.0), answered("a2", 30.0, 110.0),  # in time (<= 30)
                answered("a3", 45.0, 120.0),  # late
                abandoned("b1", 5.0, 130.0),  # short abandon: not counted against the queue
                abandoned("b2", 60.0, 140.0))  # late abandon: counted as missed
    support = m.figures(200.0, [], [])["queues"]["support"]
    assert (support["answered"], support["abandoned"]) == (3, 2)
    assert support["service_level_pct"] == pytest.approx(100 * 2 / 4, abs=0.1)
    assert support["abandon_rate_pct"] == 40.0  # 2 of 5 callers gave up
    assert support["asa_s"] == pytest.approx((10 + 30 + 45) / 3, abs=0.1)


def test_each_queue_uses_its_own_threshold_and_the_total_mixes_them() -> None:
    m = metrics(answered("s", 20.0, 100.0, "support"),  # in time for support (30 s)
                answered("l", 20.0, 100.0, "sales"))  # late for sales (10 s)
    board = m.figures(200.0, [], [])
    assert board["queues"]["support"]["service_level_pct"] == 100.0
    assert board["queues"]["sales"]["service_level_pct"] == 0.0
    assert board["total"]["service_level_pct"] == 50.0
    assert board["total"]["answered"] == 2


def test_an_unknown_queue_uses_the_default_threshold() -> None:
    m = metrics(answered("a", DEFAULT_SERVICE_LEVEL_S + 1, 100.0, "billing"))
    assert m.figures(200.0, [], [])["queues"]["billing"]["service_level_pct"] == 0.0


def test_overflows_count_for_the_queue_they_left_and_late_ones_miss_service_level() -> None:
    m = metrics(CallOverflowed("o1", "sales", "queue:support", 120.0, 100.0),
                CallOverflowed("o2", "sales", "message:all-busy", 0.0, 110.0),
                CallEnded("o2", "sales", CallOutcome.OVERFLOWED, None, 0.0, 0.0, 111.0),  # not twice
                answered("a", 5.0, 120.0, "sales"))
    sales = m.figures(200.0, [], [])["queues"]["sales"]
    assert sales["overflowed"] == 2
    assert sales["service_level_pct"] == 50.0  # o1 waited past 10 s, o2 left at once
    assert sales["abandon_rate_pct"] == 0.0


def test_handle_time_is_talk_plus_wrap_up() -> None:
    m = metrics(*handled("c1", "agent1", talk=100.0, end=500.0, wrap=20.0),
                *handled("c2", "agent2", talk=200.0, end=600.0, wrap=40.0, queue="sales"))
    board = m.figures(700.0, [], [])
    assert board["queues"]["support"]["aht_s"] == 120.0
    assert board["queues"]["sales"]["aht_s"] == 240.0
    assert board["total"]["aht_s"] == 180.0
    assert m.average_handle_s("support", 700.0) == 120.0
    assert m.average_handle_s("billing", 700.0) is None


def test_wrap_up_ending_in_a_pause_or_logout_also_finishes_the_call() -> None:
    m = metrics(CallEnded("c", "support", CallOutcome.ANSWERED, "a", 1.0, 50.0, 100.0),
                AgentStateChanged("a", AgentState.WRAP_UP, "", "c", 100.0),
                AgentStateChanged("a", AgentState.PAUSED, "lunch", None, 130.0))
    assert m.figures(200.0, [], [])["queues"]["support"]["aht_s"] == 80.0


def test_handle_time_waits_for_the_end_of_wrap_up() -> None:
    m = metrics(CallEnded("c", "support", CallOutcome.ANSWERED, "a", 1.0, 50.0, 100.0),
                AgentStateChanged("a", AgentState.WRAP_UP, "", "c", 100.0))
    assert m.figures(200.0, [], [])["queues"]["support"]["aht_s"] is None


def test_events_that_say_nothing_new_are_ignored() -> None:
    m = metrics(CallQueued("c", "support", "+1", 100.0),
                CallEnded("c", "support", CallOutcome.OVERFLOWED, wait_s=30.0, at=130.0),
                AgentStateChanged("a", AgentState.AVAILABLE, "", None, 100.0))
    assert m.figures(200.0, [], [])["total"]["answered"] == 0


def test_the_window_slides_old_facts_out() -> None:
    m = metrics(answered("old", 10.0, 100.0), abandoned("old2", 50.0, 150.0),
                answered("new", 20.0, 1000.0), window=600.0)
    support = m.figures(1200.0, [], [])["queues"]["support"]
    assert (support["answered"], support["abandoned"], support["asa_s"]) == (1, 0, 20.0)
    assert m.figures(1200.0, [], [])["window_start"] == 600.0
    assert m.figures(1700.0, [], [])["queues"]["support"]["answered"] == 0


def test_today_starts_at_midnight_in_the_configured_zone() -> None:
    zone = timezone(timedelta(hours=2))
    m = QueueMetrics(QUEUES, window_seconds=0, tz=zone)
    midnight = 1_700_000_000 - (1_700_000_000 + 7200) % 86400  # 00:00 at UTC+2
    m.record(answered("yesterday", 5.0, midnight - 1))
    m.record(answered("today", 5.0, midnight + 1))
    board = m.figures(midnight + 3600, [], [])
    assert board["window_start"] == midnight
    assert board["total"]["answered"] == 1


def test_survey_ratings_count_for_the_queue_that_answered_the_call() -> None:
    m = metrics(answered("s1", 5.0, 100.0), answered("s2", 5.0, 110.0),
                answered("l1", 5.0, 120.0, "sales"),
                CallEnded("s1", "support", CallOutcome.ANSWERED, "agent1", 5.0, 60.0, 160.0),
                rated("s1", "4", 170.0), rated("s2", "5", 180.0), rated("l1", "1", 190.0))
    board = m.figures(200.0, [], [])
    support, sales = board["queues"]["support"], board["queues"]["sales"]
    assert (support["surveys"], support["survey_avg"]) == (2, 4.5)
    assert (sales["surveys"], sales["survey_avg"]) == (1, 1.0)
    assert (board["total"]["surveys"], board["total"]["survey_avg"]) == (3, 3.3)
    assert (support["answered"], support["abandon_rate_pct"]) == (2, 0.0)  # not calls


def test_a_rating_counts_once_and_only_for_an_answered_call() -> None:
    m = metrics(answered("a", 5.0, 100.0), rated("a", "2", 150.0), rated("a", "5", 151.0),
                abandoned("gone", 30.0, 120.0), rated("gone", "5", 160.0),  # never answered
                rated("unknown", "5", 170.0),  # answered before a restart, say
                answered("b", 5.0, 180.0), rated("b", "7", 190.0),  # no rating
                IvrFinished("b", "survey", "", "hangup", "goodbye", (), {}, 191.0))
    support = m.figures(200.0, [], [])["queues"]["support"]
    assert (support["surveys"], support["survey_avg"]) == (1, 2.0)
    assert m.figures(200.0, [], [])["total"]["surveys"] == 1


def test_a_call_transferred_to_another_queue_is_rated_for_the_last_one() -> None:
    m = metrics(answered("t", 5.0, 100.0, "support"), answered("t", 8.0, 150.0, "sales"),
                rated("t", "3", 200.0))
    board = m.figures(300.0, [], [])
    assert board["queues"]["sales"]["surveys"] == 1
    assert board["queues"]["support"]["surveys"] == 0


def test_ratings_leave_with_the_window_and_the_memory_of_answers_is_bounded() -> None:
    m = metrics(answered("first", 5.0, 100.0), window=600.0)
    for n in range(ANSWERS_KEPT):  # the first call falls out of the memory
        m.record(answered(f"c{n}", 5.0, 101.0))
    m.record(rated("first", "1", 200.0))
    m.record(rated("c0", "5", 200.0))
    assert m.figures(300.0, [], [])["total"]["surveys"] == 1
    assert m.figures(300.0, [], [])["total"]["survey_avg"] == 5.0
    assert m.figures(900.0, [], [])["total"]["surveys"] == 0


def test_short_abandons_are_counted_apart_and_left_out_of_the_rates() -> None:
    m = metrics(answered("a1", 10.0, 100.0), answered("a2", 40.0, 110.0),  # in time, late
                abandoned("s1", 4.9, 120.0),  # under support's default 5 s: short
                abandoned("b1", 5.0, 130.0),  # not under it: abandoned, within 30 s
                abandoned("b2", 45.0, 140.0),  # abandoned late: misses the service level
                abandoned("s2", 11.0, 150.0, "sales"),  # sales counts under 12 s as short
                abandoned("b3", 12.0, 160.0, "sales"))
    board = m.figures(200.0, [], [])
    support, sales = board["queues"]["support"], board["queues"]["sales"]
    assert (support["abandoned"], support["short_abandoned"]) == (2, 1)
    assert support["abandon_rate_pct"] == 50.0  # 2 of 2 answered + 2 abandoned
    assert support["service_level_pct"] == pytest.approx(100 / 3, abs=0.1)  # a1 of a1 a2 b2
    assert (sales["abandoned"], sales["short_abandoned"]) == (1, 1)
    assert sales["abandon_rate_pct"] == 100.0 and sales["service_level_pct"] == 0.0
    assert (board["total"]["abandoned"], board["total"]["short_abandoned"]) == (3, 2)


def test_a_queue_of_short_abandons_only_has_no_rates() -> None:
    support = metrics(abandoned("s", 1.0, 100.0)).figures(200.0, [], [])["queues"]["support"]
    assert support["short_abandoned"] == 1
    assert (support["abandon_rate_pct"], support["service_level_pct"]) == (None, None)


def changed(name: str, state: str, at: float, reason: str = "") -> AgentStateChanged:
    return AgentStateChanged(name, AgentState(state), reason,
                             "c" if state in ("on_call", "wrap_up") else None, at)


def test_occupancy_is_call_and_wrap_up_time_over_time_logged_in_and_not_paused() -> None:
    m = metrics(changed("x", "available", 1000.0), changed("x", "offered", 1100.0),
                changed("x", "on_call", 1110.0), changed("x", "wrap_up", 1290.0),
                changed("x", "paused", 1300.0, "lunch"), changed("x", "available", 1800.0),
                changed("y", "available", 1000.0), changed("y", "on_call", 1500.0),
                window=1000.0)
    x = agent("x", AgentState.AVAILABLE)
    y = agent("y", AgentState.ON_CALL, ("support", "sales"))
    board = m.figures(2000.0, [], [x, y])
    # x: staffed 1000-1300 and 1800-2000 (500 s), busy 1110-1300 (190 s)
    assert board["agent_occupancy"]["x"] == 38.0
    # y: staffed 1000-2000, busy 1500-2000
    assert board["agent_occupancy"]["y"] == 50.0
    assert board["queues"]["support"]["occupancy_pct"] == round(100 * 690 / 1500, 1)
    assert board["queues"]["sales"]["occupancy_pct"] == 50.0
    assert board["total"]["occupancy_pct"] == round(100 * 690 / 1500, 1)


def test_occupancy_counts_inside_the_window_only() -> None:
    m = metrics(changed("x", "on_call", 100.0), changed("x", "wrap_up", 700.0),
                changed("x", "available", 800.0), window=600.0)
    # the window is 400-1000: on a call 400-700, wrap-up 700-800, available 800-1000
    board = m.figures(1000.0, [], [agent("x", AgentState.AVAILABLE)])
    assert board["agent_occupancy"]["x"] == round(100 * 400 / 600, 1)
    later = m.figures(2000.0, [], [agent("x", AgentState.AVAILABLE)])
    assert later["agent_occupancy"]["x"] == 0.0  # available all of 1400-2000


def test_an_agent_whose_change_was_not_seen_counts_from_the_store_s_state() -> None:
    """Another process moved the agent (or this one restarted): the store's state since
    its `since` is what the agent did."""
    m = metrics(changed("x", "available", 1000.0), window=1000.0)
    on_call = Agent(AgentProfile("x", "SIP/x", {"support": 0}), AgentState.ON_CALL,
                    since=1600.0, call_id="c")
    assert m.figures(2000.0, [], [on_call])["agent_occupancy"]["x"] == 40.0
    paused = Agent(AgentProfile("z", "SIP/z", {"support": 0}), AgentState.PAUSED,
                   reason="break", since=1500.0)
    assert m.figures(2000.0, [], [on_call, paused])["agent_occupancy"]["z"] is None


@pytest.mark.parametrize("window", [60.0, 0.0])  # 0: "today"
def test_memory_stays_flat_over_many_calls_nobody_reads(window: float, monkeypatch) -> None:
    """What left the window is forgotten as events come in (issue 16: it grew ~0.6 KB a
    call until the board was read). A call every 100 s, nobody calls figures(): the
    memory held one day later, at the same time of day, is what it was."""
    monkeypatch.setattr("contactcenter.acd.metrics.ANSWERS_KEPT", 50)  # bounded apart
    m = QueueMetrics(QUEUES, window_seconds=window)
    start, per_day = 1_700_000_000.0, 864

    def calls(first: int, last: int) -> None:
        for n in range(first, last):
            at = start + n * 100.0
            for event in (answered(f"c{n}", 3.0, at), changed("a", "on_call", at),
                          *handled(f"c{n}", "a", 4.0, at + 4.0, 2.0),
                          abandoned(f"x{n}", 2.0, at + 5.0)):
                m.record(event)

    def held_bytes() -> int:
        sites = [tracemalloc.Filter(True, "*/acd/metrics.py"),
                 tracemalloc.Filter(True, "*/acd/agent_time.py")]
        return sum(s.size for s in tracemalloc.take_snapshot().filter_traces(sites).traces)

    tracemalloc.start()
    try:
        calls(0, 1000)
        before = held_bytes()
        calls(1000, 1000 + per_day)
        after = held_bytes()
    finally:
        tracemalloc.stop()
    assert after < before * 1.2 + 4096, (before, after)
    last = start + (1000 + per_day - 1) * 100.0
    board = m.figures(last + 9.0, [], [])["total"]  # what is in the window is all there
    inside = sum(start + n * 100.0 >= m.window_start(last + 9.0) for n in range(1000 + per_day))
    assert board["answered"] == board["short_abandoned"] == inside > 0
