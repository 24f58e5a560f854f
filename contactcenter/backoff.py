"""How long to wait before the next try after a failure: one policy for every reconnect
and retry (AMI, Redis, the database), exponential with full jitter and a cap, as redis-py's
ExponentialWithJitterBackoff does, so processes that lost the same server do not all come
back at the same instant."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    """`delay(n)` for the n-th retry (0-based): uniform in [base, min(cap, base * 2**n)]."""

    base: float = 0.1
    cap: float = 10.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def ceiling(self, attempt: int) -> float:
        return min(self.cap, self.base * 2.0 ** min(attempt, 32))

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(self.base, max(self.base, self.ceiling(attempt)))
