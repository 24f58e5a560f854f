"""What a new complaint needs before it is stored: a category, subcategory and severity
the settings know, its team, and its due dates counted in business time from when it was
received. Pure: settings and values in, a NewComplaint or due dates out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contactcenter.complaints.config import ComplaintSettings
from contactcenter.crm.complaints import CHANNELS, NewComplaint
from contactcenter.crm.errors import ValidationError


@dataclass(frozen=True)
class Deadlines:
    response_due_at: datetime
    resolution_due_at: datetime


def deadlines(settings: ComplaintSettings, category: str, severity: str,
              received_at: datetime) -> Deadlines:
    """The first response and the resolution are due this much open time after receipt."""
    targets = settings.targets(category, severity)
    return Deadlines(settings.hours.add(received_at, targets.response_s),
                     settings.hours.add(received_at, targets.resolution_s))


def resolution_due(settings: ComplaintSettings, category: str, severity: str,
                   reopened_at: datetime) -> datetime | None:
    """A reopened complaint's new resolution due date; None for one never classified
    (a former case), which has no targets."""
    if category not in settings.categories or severity not in settings.severities:
        return None
    return settings.hours.add(reopened_at, settings.targets(category, severity).resolution_s)


def classified(settings: ComplaintSettings, category: str, subcategory: str,
               severity: str) -> tuple[str, str, str]:
    """(category, subcategory, severity) checked against the settings; ValidationError
    naming the field otherwise."""
    if category not in settings.categories:
        raise ValidationError("category", f"must be one of {', '.join(settings.categories)}")
    known = settings.categories[category].subcategories
    if (subcategory or known) and subcategory not in known:
        raise ValidationError("subcategory", f"for {category}: one of {', '.join(known)}"
                              if known else f"{category} has no subcategories")
    if severity not in settings.severities:
        raise ValidationError("severity", f"must be one of {', '.join(settings.severities)}")
    return category, subcategory, severity


def new_complaint(settings: ComplaintSettings, *, subject: str, category: str,
                  subcategory: str, severity: str, received_at: datetime,
                  channel: str = "call", description: str = "",
                  customer_id: int | None = None) -> NewComplaint:
    """A complaint ready to open: checked, given its category's team and its due dates."""
    category, subcategory, severity = classified(settings, category, subcategory, severity)
    if channel not in CHANNELS:
        raise ValidationError("channel", f"must be one of {', '.join(CHANNELS)}")
    due = deadlines(settings, category, severity, received_at)
    return NewComplaint(subject=subject, customer_id=customer_id, description=description,
                        category=category, subcategory=subcategory, severity=severity,
                        channel=channel, team=settings.categories[category].team,
                        response_due_at=due.response_due_at,
                        resolution_due_at=due.resolution_due_at)
