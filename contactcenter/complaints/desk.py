"""The complaint desk: what the console and the escalation task ask of complaints, with the
settings applied (categories, due dates, teams) before crm/complaints.py stores it.

Blocking (SQL): async callers use asyncio.to_thread. Asking the customer by callback gives
back the CallbackRequested the caller publishes on the bus: the ACD's callback book queues
it like the IVR's callback step, in the complaint's team's queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from contactcenter.complaints.config import ComplaintSettings
from contactcenter.complaints.deadlines import (
    classified,
    deadlines,
    new_complaint,
    resolution_due,
)
from contactcenter.complaints.escalation import Escalation, escalations
from contactcenter.crm.complaints import Clock, Complaints, NewComplaint
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.errors import CrmError, ValidationError
from contactcenter.crm.models import utcnow
from contactcenter.crm.records import Complaint, ComplaintNote, OutboxMessage
from contactcenter.ivr.events import CallbackRequested

log = logging.getLogger(__name__)

ESCALATION_ACTOR = "escalation"  # who the audit log says escalated
COMPLAINT_FIELD = "complaint"  # the callback's field: which complaint it is about


class ComplaintDesk:
    def __init__(self, db: Database, settings: ComplaintSettings, clock: Clock = utcnow):
        self.db = db
        self.settings = settings
        self.clock = clock
        self.complaints = Complaints(db, clock)

    def draft(self, *, subject: str, category: str, subcategory: str = "", severity: str,
              channel: str = "call", description: str = "",
              customer_id: int | None = None) -> NewComplaint:
        """A new complaint received now, checked and with its team and due dates."""
        return new_complaint(self.settings, subject=subject, category=category,
                             subcategory=subcategory, severity=severity,
                             received_at=self.clock(), channel=channel,
                             description=description, customer_id=customer_id)

    def open(self, new: NewComplaint, *, actor: str, call_id: str | None = None) -> Complaint:
        return self.complaints.open(new, actor=actor, call_id=call_id)

    def act(self, complaint_id: int, action: str, *, actor: str,
            inputs: Mapping[str, Any] | None = None) -> Complaint:
        """A workflow action, given what the settings add to it: an assignee must be in a
        team, a reopened complaint gets a new resolution due date, a reclassified one its
        team and due dates anew."""
        inputs = dict(inputs or {})
        if action == "assign":
            assignee = str(inputs.get("assignee") or "").strip()
            if assignee and not self.settings.teams_of(assignee):
                raise ValidationError("assignee", f"{assignee!r} is in no team")
        if action in ("reopen", "reject", "classify"):
            current = self.complaints.get(complaint_id)
            if action == "classify":
                inputs = self._classification(current, inputs)
            else:
                due = resolution_due(self.settings, current.category, current.severity,
                                     self.clock())
                if due is not None:
                    inputs["resolution_due_at"] = due
        return self.complaints.act(complaint_id, action, actor=actor, inputs=inputs)

    def note(self, complaint_id: int, body: str, *, actor: str,
             call_id: str | None = None) -> ComplaintNote:
        return self.complaints.add_note(complaint_id, body, actor=actor, call_id=call_id)

    def ask_customer(self, complaint_id: int, *, via: str, question: str, actor: str,
                     ) -> tuple[Complaint, OutboxMessage | None, CallbackRequested | None]:
        """Ask the customer by callback (the event to publish comes back) or by a letter or
        e-mail left in the outbox."""
        if not question.strip():
            raise ValidationError("question", "what to ask the customer")
        complaint = self.complaints.get(complaint_id)
        if via != "callback":
            message = self.complaints.ask_by_outbox(
                complaint_id, channel=via, subject=f"Your complaint #{complaint_id}: "
                f"{complaint.subject}"[:200], body=question, actor=actor)
            return self.complaints.get(complaint_id), message, None
        customer = Customers(self.db).get(complaint.customer_id)
        team = self.settings.teams.get(complaint.team)
        if not customer.phones:
            raise ValidationError("via", f"customer {customer.id} has no phone number")
        if team is None:
            raise ValidationError("via", f"complaint #{complaint_id} has no team whose queue "
                                  "could call back (classify it first)")
        now = self.clock()
        call_id = f"complaint-{complaint_id}-{int(now.timestamp() * 1000)}"
        asked = self.complaints.ask_by_callback(complaint_id, call_id=call_id,
                                                number=customer.phones[0],
                                                question=question, actor=actor)
        event = CallbackRequested(call_id, team.queue, customer.phones[0], customer.name,
                                  fields={COMPLAINT_FIELD: str(complaint_id)},
                                  ivr_path="complaints:callback", at=now.timestamp())
        return asked, None, event

    def escalate_due(self) -> list[Escalation]:
        """Escalate every complaint whose due date has passed; one that cannot be (acted on
        meanwhile) is logged and skipped, the others go on."""
        now = self.clock()
        done = []
        for escalation in escalations(self.complaints.past_due(now), now, self.settings):
            try:
                self.complaints.act(escalation.complaint_id, "escalate",
                                    actor=ESCALATION_ACTOR,
                                    inputs={"escalation_level": escalation.level,
                                            "escalated_to": escalation.to})
            except CrmError as exc:
                log.warning("escalation of complaint #%d skipped: %s",
                            escalation.complaint_id, exc)
                continue
            log.info("complaint #%d escalated to %s: %s", escalation.complaint_id,
                     escalation.to, escalation.reason)
            done.append(escalation)
        return done

    def _classification(self, current: Complaint, inputs: dict[str, Any]) -> dict[str, Any]:
        category, subcategory, severity = classified(
            self.settings, str(inputs.get("category", current.category)),
            str(inputs.get("subcategory", current.subcategory)),
            str(inputs.get("severity", current.severity)))
        due = deadlines(self.settings, category, severity, current.created_at)
        return {"category": category, "subcategory": subcategory, "severity": severity,
                "team": self.settings.categories[category].team,
                "response_due_at": due.response_due_at,
                "resolution_due_at": due.resolution_due_at}
