"""How simulated calls ended, counted for tests, the demo and benchmarks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class CallOutcome(Enum):
    ANSWERED = "answered"              # bridged to an agent at least once
    ABANDONED = "abandoned"            # the caller hung up while waiting in music on hold
    HUNG_UP_IN_IVR = "hung_up_in_ivr"  # the caller hung up during the AGI session
    ENDED_IN_IVR = "ended_in_ivr"      # the dialplan or the platform ended it in the IVR
    CLEARED = "cleared"                # the platform hung up a waiting caller
    OVERFLOWED = "overflowed"          # sent from the queue to voicemail or a message


@dataclass(frozen=True)
class SimStats:
    """Counters over every call the simulator placed; ``waiting`` and ``in_progress`` are now."""

    offered: int
    answered: int
    abandoned: int
    hung_up_in_ivr: int
    ended_in_ivr: int
    cleared_while_waiting: int
    waiting: int
    in_progress: int
    double_offers: int
    overflowed: int = 0
    busy_rings: int = 0  # a phone rung while a leg of it was still up

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
