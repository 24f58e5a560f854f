"""The escalation task: owned by the platform (`async with Escalator(desk):`), it asks the
desk to escalate what is past due every `check_every` of the settings. A failed round is
logged with its cause and the next one comes as usual; `status()` tells the pages when it
last ran and what went wrong, so an escalation that stopped working is seen."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from contactcenter.complaints.desk import ComplaintDesk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EscalatorStatus:
    every_s: float
    last_run: datetime | None  # when the last round finished, failed or not
    last_error: str  # "" when the last round succeeded
    escalated: int  # complaints escalated since the start


class Escalator:
    def __init__(self, desk: ComplaintDesk, *, every_s: float | None = None) -> None:
        self._desk = desk
        self._every_s = every_s or desk.settings.check_every_s
        self._task: asyncio.Task[None] | None = None
        self._last_run: datetime | None = None
        self._last_error = ""
        self._escalated = 0

    async def __aenter__(self) -> Escalator:
        self._task = asyncio.create_task(self._loop(), name="complaint-escalation")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def status(self) -> EscalatorStatus:
        return EscalatorStatus(self._every_s, self._last_run, self._last_error,
                               self._escalated)

    async def run_once(self) -> int:
        """One round; the number of complaints escalated. Never raises but cancellation."""
        try:
            done = await asyncio.to_thread(self._desk.escalate_due)
        except Exception as exc:
            log.exception("complaint escalation round failed; next in %.0f s", self._every_s)
            self._last_error = f"{type(exc).__name__}: {exc}"
            done = []
        else:
            self._last_error = ""
            self._escalated += len(done)
        self._last_run = self._desk.clock()
        return len(done)

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self._every_s)
