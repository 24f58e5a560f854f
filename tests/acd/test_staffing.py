"""Erlang C against published worked examples, and the staffing search around them.

References (the figures each prints, to its own precision):
- Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
  100 calls per 30 minutes, AHT 180 s (10 Erlangs), 80 % answered within 20 s. 11 agents:
  probability of waiting 0.6821, service level 39 %; 12 agents: 64 %; 13 agents: 79.6 %,
  just short; 14 agents: 88.8 %, the answer (14 agents).
- A queueing textbook exercise (M/M/m, 120 customers an hour, 3 minutes each, 10 servers,
  6 Erlangs): "from the Erlang C curve ... the probability of waiting is about 0.10".
- Wolfram Language's ErlangC documentation, "Applications": 30 calls an hour, 5 minutes
  each (2.5 Erlangs); a 90 % probability that a call is not delayed needs 6 employees.
"""

from __future__ import annotations

import math

import pytest

from contactcenter.acd.staffing import agents_needed, erlang_c, staffing

PER_HALF_HOUR = 1 / 1800  # calls a second, per call in 30 minutes


def test_call_centre_helper_worked_example() -> None:
    rate = 100 * PER_HALF_HOUR
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=5e-5)
    levels = {n: staffing(n, rate, 180.0, 20.0).service_level_pct for n in (11, 12, 13, 14)}
    assert levels == {11: 39.0, 12: 64.0, 13: 79.6, 14: 88.8}
    needed = agents_needed(rate, 180.0, 80.0, 20.0)
    assert (needed.agents, needed.traffic_erlangs, needed.service_level_pct) == (14, 10.0, 88.8)
    assert needed.occupancy_pct == round(100 * 10 / 14, 1)
    assert needed.asa_s == pytest.approx(0.1741 * 180 / 4, abs=0.1)  # C aht / (N - A)


def test_textbook_ten_servers_six_erlangs_wait_about_one_time_in_ten() -> None:
    assert erlang_c(10, 6.0) == pytest.approx(0.10, abs=0.005)


def test_wolfram_technical_support_center_needs_six() -> None:
    rate, aht = 30 / 3600, 300.0
    not_delayed = {n: 1 - erlang_c(n, rate * aht) for n in (5, 6)}
    assert not_delayed[5] < 0.9 <= not_delayed[6]
    # "not delayed" is the service level within 0 seconds
    assert agents_needed(rate, aht, 90.0, 0.0).agents == 6


def test_erlang_c_agrees_with_the_textbook_sum_of_factorials() -> None:
    for agents, traffic in ((1, 0.5), (3, 2.0), (20, 17.3), (55, 48.0)):
        head = sum(traffic ** k / math.factorial(k) for k in range(agents))
        tail = traffic ** agents / math.factorial(agents) * agents / (agents - traffic)
        assert erlang_c(agents, traffic) == pytest.approx(tail / (head + tail), rel=1e-12)


def test_large_queues_stay_finite_where_factorials_overflow() -> None:
    needed = agents_needed(2000 / 60, 300.0, 80.0, 20.0)  # 10,000 Erlangs
    assert 10_000 < needed.agents < 10_200
    assert 80.0 <= needed.service_level_pct < 100.0


def test_too_few_agents_and_no_calls_have_plain_answers() -> None:
    overloaded = staffing(10, 100 * PER_HALF_HOUR, 180.0, 20.0)  # N = A: the queue grows
    assert (overloaded.wait_probability, overloaded.service_level_pct,
            overloaded.asa_s) == (1.0, None, None)
    quiet = agents_needed(0.0, 180.0, 80.0, 20.0)
    assert (quiet.agents, quiet.service_level_pct, quiet.asa_s) == (0, 100.0, 0.0)
    assert staffing(3, 0.0, 0.0, 20.0).occupancy_pct == 0.0


def test_more_agents_never_serve_worse() -> None:
    rate = 100 * PER_HALF_HOUR
    levels = [staffing(n, rate, 180.0, 20.0).service_level_pct for n in range(11, 25)]
    assert levels == sorted(levels)
    waits = [staffing(n, rate, 180.0, 20.0).asa_s for n in range(11, 25)]
    assert waits == sorted(waits, reverse=True)


@pytest.mark.parametrize(("rate", "aht", "target_pct", "target_s", "message"), [
    (-1.0, 180.0, 80.0, 20.0, "arrival rate"),
    (1.0, 0.0, 80.0, 20.0, "handle time must be above 0"),
    (1.0, math.nan, 80.0, 20.0, "handle time"),
    (1.0, 180.0, 100.0, 20.0, "below 100"),
    (1.0, 180.0, 0.0, 20.0, "above 0"),
    (1.0, 180.0, 80.0, -5.0, "answer time"),
])
def test_bad_input_is_refused_with_what_is_wrong(rate: float, aht: float, target_pct: float,
                                                 target_s: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        agents_needed(rate, aht, target_pct, target_s)
