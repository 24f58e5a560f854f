"""What the CRM link tells the console: the screen pop with the caller's record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScreenPop:
    """The customer record, IVR answers and history for one offered call, for one agent."""

    agent_id: str
    call_id: str
    payload: dict[str, object]
    at: float


CrmLinkEvent = ScreenPop
"""Every event the CRM link publishes."""
