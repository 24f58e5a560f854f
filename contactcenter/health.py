"""What is down right now: the PBX link, the queue store, the database. Each part reports
its own outage and recovery on the bus (PartDown, PartUp); HealthBoard (pure) folds them
into what the supervisor's wallboard shows, so an outage is seen, not only logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

AMI, STORE, DATABASE = "ami", "store", "database"


@dataclass(frozen=True)
class PartDown:
    part: str
    reason: str
    at: float


@dataclass(frozen=True)
class PartUp:
    part: str
    at: float


HealthEvent = PartDown | PartUp
"""Every event a part publishes about its own health."""


class HealthBoard:
    def __init__(self) -> None:
        self._down: dict[str, PartDown] = {}

    def record(self, event: HealthEvent) -> None:
        match event:
            case PartDown():
                first = self._down.get(event.part)
                self._down[event.part] = event if first is None else PartDown(
                    event.part, event.reason, first.at)  # down since the first report
            case PartUp():
                self._down.pop(event.part, None)
            case _:
                assert_never(event)

    def down(self) -> dict[str, dict[str, object]]:
        """part -> {"reason", "since"} for every part down now ({} when all is well)."""
        return {part: {"reason": event.reason, "since": event.at}
                for part, event in sorted(self._down.items())}
