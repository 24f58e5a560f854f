"""CRM errors: bad input is refused with the field it concerns, and nothing is written."""

from __future__ import annotations

from contactcenter.errors import ContactCenterError


class CrmError(ContactCenterError):
    """Base of the CRM's deliberate errors."""


class ValidationError(CrmError, ValueError):
    """A value the CRM refuses; `field` names the input so a form can point at it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(CrmError, LookupError):
    """The record asked for does not exist."""


class Conflict(CrmError):
    """The change would break a uniqueness rule (a phone, account number or username in use)."""


class RefusedTransition(CrmError):
    """A complaint move the workflow does not allow from its status (the HTTP edge: 409)."""

    def __init__(self, status: str, action: str, message: str):
        super().__init__(message)
        self.status = status
        self.action = action
