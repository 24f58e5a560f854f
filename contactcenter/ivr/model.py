"""A loaded flow: named steps, each bound by the loader (ivr/flow.py) to its step type
(ivr/steptypes/), which says where the step can lead and whether it asks the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # step types import the model (their runs walk steps)
    from contactcenter.ivr.steptypes.steptype import StepType


@dataclass(frozen=True)
class Step:
    """One step: its type, the action's parameters, and where each outcome goes."""

    id: str
    type: StepType
    params: Any
    next: str | None = None
    on_exhausted: str | None = None
    on_error: str | None = None
    line: int = 0

    @property
    def action(self) -> str:
        return self.type.name

    @property
    def asks_caller(self) -> bool:
        """Whether the step waits for the caller's answer (so a loop through it can end)."""
        return self.type.asks_caller(self.params)

    def targets(self) -> list[str]:
        """Every step this one can lead to."""
        found = [self.next, self.on_exhausted, self.on_error, *self.type.targets(self.params)]
        return [t for t in found if isinstance(t, str)]


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    steps: dict[str, Step]
    file: str = "<flow>"
    version: str = ""
    languages: tuple[str, ...] = ()  # the first is the default; texts may be per language
