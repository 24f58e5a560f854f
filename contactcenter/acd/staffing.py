"""Staffing (pure): how many agents a queue needs, by Erlang C.

Erlang C models a queue as M/M/N: calls arrive at random (Poisson) at `rate` per second,
each takes `aht` seconds of an agent (talk + wrap-up), N agents serve them, and nobody
hangs up while waiting. Traffic A = rate x aht (in Erlangs) is the agents the calls keep
busy on average; with N > A agents:

- the probability that a call waits, C(N, A), from Erlang B by its stable recurrence
  B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)), then C = N B / (N - A (1 - B));
- the service level, the share answered within t seconds: 1 - C e^(-(N - A) t / aht);
- the average speed of answer: C aht / (N - A); the occupancy: A / N.

`agents_needed` is the smallest N meeting a target service level. Real queues lose
callers who give up (Erlang C ignores them), so it errs on the safe side: it plans slightly
more agents than a queue with abandons needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 100_000  # a bound on the search: past it the input is nonsense, not a queue


@dataclass(frozen=True)
class Staffing:
    """What `agents` agents give for the traffic: None for a figure with no meaning (no
    calls, or too few agents: the queue grows without end)."""

    agents: int
    traffic_erlangs: float
    wait_probability: float | None
    service_level_pct: float | None
    asa_s: float | None
    occupancy_pct: float | None


def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a call waits, C(N, A); 1.0 when N <= A (everyone waits)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return agents * blocking / (agents - traffic * (1 - blocking))


def staffing(agents: int, rate_per_s: float, aht_s: float, target_s: float) -> Staffing:
    """Service level within `target_s`, ASA, occupancy of `agents` for `rate_per_s` calls a
    second that each take `aht_s` seconds."""
    _check(rate_per_s, aht_s, target_s)
    if agents < 0:
        raise ValueError(f"agents must be 0 or more, not {agents}")
    traffic = rate_per_s * aht_s
    if traffic == 0:
        return Staffing(agents, 0.0, 0.0, 100.0, 0.0, 0.0 if agents else None)
    if agents <= traffic:
        return Staffing(agents, round(traffic, 3), 1.0, None, None, None)
    wait = erlang_c(agents, traffic)
    return Staffing(agents, round(traffic, 3), round(wait, 4),
                    round(_service_level(agents, traffic, aht_s, target_s), 1),
                    round(wait * aht_s / (agents - traffic), 1),
                    round(100 * traffic / agents, 1))


def _service_level(agents: int, traffic: float, aht_s: float, target_s: float) -> float:
    """Percent answered within target_s, for agents > traffic > 0 (unrounded)."""
    wait = erlang_c(agents, traffic)
    return 100 * (1 - wait * math.exp(-(agents - traffic) * target_s / aht_s))


def agents_needed(rate_per_s: float, aht_s: float, target_pct: float,
                  target_s: float) -> Staffing:
    """The fewest agents that answer `target_pct` % of calls within `target_s` seconds."""
    _check(rate_per_s, aht_s, target_s)
    if not 0 < target_pct < 100:
        raise ValueError(f"the target must be above 0 % and below 100 %, not {target_pct}")
    traffic = rate_per_s * aht_s
    if traffic == 0:
        return staffing(0, rate_per_s, aht_s, target_s)
    agents = math.floor(traffic) + 1
    while agents <= MAX_AGENTS:
        if _service_level(agents, traffic, aht_s, target_s) >= target_pct:
            return staffing(agents, rate_per_s, aht_s, target_s)
        agents += 1
    raise ValueError(f"{traffic:.0f} Erlangs need more than {MAX_AGENTS} agents")


def _check(rate_per_s: float, aht_s: float, target_s: float) -> None:
    for name, value in (("arrival rate", rate_per_s), ("handle time", aht_s),
                        ("answer time", target_s)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"the {name} must be a number of 0 or more, not {value}")
    if aht_s == 0 and rate_per_s > 0:
        raise ValueError("the handle time must be above 0 when calls arrive")
