"""The one retry policy (contactcenter/backoff.py)."""

from __future__ import annotations

import random

from contactcenter.backoff import Backoff


def test_delays_grow_to_the_cap_and_stay_within_it() -> None:
    policy = Backoff(base=0.1, cap=2.0, rng=random.Random(1))
    ceilings = [policy.ceiling(n) for n in range(8)]
    assert ceilings == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0]
    for attempt in range(100):
        assert 0.1 <= policy.delay(attempt) <= policy.ceiling(attempt)


def test_jitter_spreads_processes_that_fail_together() -> None:
    delays = {Backoff(base=0.1, cap=10.0, rng=random.Random(seed)).delay(6) for seed in range(20)}
    assert len(delays) == 20 and max(delays) - min(delays) > 1.0
