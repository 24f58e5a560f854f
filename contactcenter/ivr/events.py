"""IVR events, for the interaction log: where each caller left the IVR, and how."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IvrFinished:
    """outcome: queued | transferred | voicemail | callback | hangup | caller_hung_up | error."""

    uniqueid: str
    flow: str
    version: str
    outcome: str
    last_step: str
    path: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)
    at: float = 0.0


@dataclass(frozen=True)
class CallbackRequested:
    """The caller chose a queued callback (the IVR's callback step) and will hang up: the
    ACD keeps their place in `queue` from `at` and calls `number` back when an agent is
    free. ivr_path is "flow:step,flow:step" as in CC_IVR_PATH."""

    call_id: str
    queue: str
    number: str
    caller_name: str = ""
    priority: int = 0
    skills: dict[str, int] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    ivr_path: str = ""
    at: float = 0.0
