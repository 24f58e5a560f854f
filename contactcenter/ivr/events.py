"""IVR events, for the interaction log: where each caller left the IVR, and how."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IvrFinished:
    """outcome: queued | transferred | hangup | caller_hung_up | error."""

    uniqueid: str
    flow: str
    version: str
    outcome: str
    last_step: str
    path: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)
    at: float = 0.0
