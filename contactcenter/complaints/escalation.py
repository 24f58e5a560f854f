"""Escalation decisions, pure: which complaints go up a level at a moment, and to whom.

Level 1 when nobody has worked on a complaint by its response due date, level 2 when it
is still open after its resolution due date. Each level goes one step further along the
teams' `escalate_to` chain (billing -> customer-care -> supervisors), so a complaint left
too long reaches the supervisors. A complaint already at that level is left alone: the
task may run as often as it likes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contactcenter.complaints.config import SUPERVISORS, ComplaintSettings
from contactcenter.crm.complaint_workflow import overdue
from contactcenter.crm.records import Complaint

REASONS = {1: "no response by its due date", 2: "not resolved by its due date"}


@dataclass(frozen=True)
class Escalation:
    complaint_id: int
    level: int  # 1: response overdue, 2: resolution overdue
    to: str  # a team, or SUPERVISORS

    @property
    def reason(self) -> str:
        return REASONS[self.level]


def escalations(complaints: Iterable[Complaint], now: datetime,
                settings: ComplaintSettings) -> list[Escalation]:
    """The escalations due at `now`, one per complaint at most."""
    found = []
    for complaint in complaints:
        late = overdue(complaint, now)
        level = 2 if late.resolution else 1 if late.response else 0
        if level > complaint.escalation_level:
            found.append(Escalation(complaint.id, level,
                                    escalation_target(settings, complaint.team, level)))
    return found


def escalation_target(settings: ComplaintSettings, team: str, level: int) -> str:
    """`level` steps along escalate_to from `team`; the supervisors end every chain, and a
    team the settings no longer know escalates to them."""
    target = team
    for _ in range(level):
        if target not in settings.teams:
            return SUPERVISORS
        target = settings.teams[target].escalate_to
    return target
