"""The one exception hierarchy: every error the platform raises on purpose derives from
ContactCenterError, so callers can catch ours without catching everything."""

from __future__ import annotations


class ContactCenterError(Exception):
    """Base of all deliberate errors."""


class ConfigError(ContactCenterError):
    """The configuration file or an environment override is invalid."""


class FlowError(ContactCenterError):
    """A flow file is invalid; carries where, so admins can jump to it."""

    def __init__(self, message: str, file: str = "<flow>", line: int = 0, column: int = 0):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class AmiError(ContactCenterError):
    """The AMI link failed, refused a login, timed out or answered an action with Error."""


class AmiRefused(AmiError):
    """Asterisk answered the action with Response: Error: it did not take effect."""


class AmiUnanswered(AmiError):
    """The action was sent but no reply came (timeout, or the link dropped meanwhile):
    whether it took effect is unknown and must be asked of Asterisk, never assumed."""


class OriginateUnconfirmed(AmiUnanswered):
    """An Originate got no reply: its leg may ring or not. Carries the ActionID its
    OriginateResponse and leg will bear, if it was placed."""

    def __init__(self, action_id: str, message: str) -> None:
        super().__init__(f"Originate {action_id}: {message}")
        self.action_id = action_id


class UnsafeValueError(AmiError, ValueError):
    """A value bound for the AMI or AGI socket holds CR or LF (it would inject a line)."""


class StoreError(ContactCenterError):
    """The queue store refused or failed an operation."""


class StoreConflict(StoreError):
    """A conditional write lost: the record changed since it was read (another process,
    or a later event of this one). Read it again and decide again."""


class InvalidTransition(ContactCenterError):
    """An agent state change that the state machine does not allow."""
