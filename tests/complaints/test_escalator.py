"""The escalation task: it runs on its own, and a failed round is logged and shown in its
status while the next round goes on as usual."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.complaints.escalation import Escalation
from contactcenter.complaints.escalator import Escalator
from tests.complaints.conftest import MONDAY
from tests.helpers import Clock, eventually


class FailsOnce(ComplaintDesk):
    """The real desk, whose first escalation round meets a database that went away."""

    failed = False

    def escalate_due(self) -> list[Escalation]:
        if not self.failed:
            self.failed = True
            raise ConnectionError("database went away")
        return super().escalate_due()


async def test_the_task_survives_a_failed_round_and_escalates_next_time(
        db, clock: Clock, ada: int, settings, caplog: pytest.LogCaptureFixture) -> None:
    desk = FailsOnce(db, settings, clock)
    new = desk.draft(subject="Refund", category="billing", subcategory="refund",
                     severity="high", customer_id=ada)
    complaint_id = desk.open(new, actor="agent101").id
    clock.now = MONDAY + timedelta(hours=3)  # past its response due date
    escalator = Escalator(desk, every_s=0.05)
    with caplog.at_level(logging.ERROR, logger="contactcenter.complaints.escalator"):
        async with escalator:
            await eventually(lambda: escalator.status().last_error != "", 5.0)
            assert escalator.status().last_error == "ConnectionError: database went away"
            await eventually(lambda: escalator.status().escalated == 1, 5.0)
        assert escalator.status().last_error == "" and escalator.status().last_run == clock.now
    assert "complaint escalation round failed" in caplog.text
    assert desk.complaints.get(complaint_id).escalation_level == 1


async def test_one_round_on_demand_counts_what_it_escalated(desk, clock: Clock,
                                                            ada: int) -> None:
    new = desk.draft(subject="Refund", category="billing", subcategory="refund",
                     severity="high", customer_id=ada)
    desk.open(new, actor="agent101")
    escalator = Escalator(desk)
    assert escalator.status().every_s == 60.0  # the settings' check_every
    assert await escalator.run_once() == 0
    clock.now = MONDAY + timedelta(hours=3)
    assert await escalator.run_once() == 1
    assert await asyncio.wait_for(escalator.run_once(), 5) == 0
