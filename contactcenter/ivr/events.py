"""IVR events, for the interaction log: where each caller left the IVR, and how."""

from __future__ import annotations

from dataclasses import dataclass, field

SURVEY_SCORE = "survey_score"  # the answer a post-call survey keeps (flows/survey.yaml)
SURVEY_SCORES = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class IvrFinished:
    """outcome: queued | transferred | voicemail | callback | hangup | caller_hung_up | error.
    fields: the answers the caller gave (collect's digits, a menu's key kept `into`)."""

    uniqueid: str
    flow: str
    version: str
    outcome: str
    last_step: str
    path: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)
    at: float = 0.0

    @property
    def survey_score(self) -> int | None:
        """The caller's rating of their call, 1 to 5, when the flow kept one in
        `survey_score`; None when it kept none, or something else."""
        value = self.fields.get(SURVEY_SCORE)
        return int(value) if value in SURVEY_SCORES else None


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


IvrEvent = IvrFinished | CallbackRequested
"""Every event the IVR publishes."""
