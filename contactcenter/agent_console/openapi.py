"""The REST API's OpenAPI document, built from one table so it cannot drift from routes."""

from __future__ import annotations

from . import complaints, reports, supervision

API: tuple[tuple[str, str, str, bool], ...] = (
    # method, path, summary, state-changing (needs X-CSRF-Token)
    ("get", "/api/session", "Current user, role and CSRF token", False),
    ("get", "/api/agent", "My agent state and the current call's pop", False),
    ("post", "/api/state", "Change my state: {state: available|paused|login|logout, reason}",
     True),
    ("post", "/api/hangup", "Hang up my current call", True),
    ("post", "/api/call/hold", "Put my connected call on hold (caller hears music)", True),
    ("post", "/api/call/resume", "Take my call off hold", True),
    ("post", "/api/call/transfer", "Blind transfer of my call: {queue} (the caller waits "
     "there anew) or {number}; I go to wrap-up", True),
    ("post", "/api/call/consult", "Attended transfer: {number} rings while my caller "
     "holds", True),
    ("post", "/api/call/consult/complete", "Complete the attended transfer (I drop out)",
     True),
    ("post", "/api/call/consult/cancel", "Cancel the attended transfer (back to my caller)",
     True),
    ("post", "/api/dial", "Click-to-dial: {number}; my phone rings, then the number is "
     "dialled (I am paused meanwhile)", True),
    ("post", "/api/wrapup", "Save the wrap-up: {call_id, disposition, notes, customer_id?, "
     "complaint_id? (link a complaint) or complaint? (open {subject, category, subcategory, "
     "severity, resolve?, notes?} or follow up {id, resolve?, notes?}; notes become the "
     "description or a note on its thread, and the solution when resolve is true)}. 200 "
     "{saved: true, ...} when written; 202 {saved: false, queued: true} while the database "
     "is down: written when it is back", True),
    ("get", "/api/dispositions", "Active disposition codes", False),
    ("get", "/api/customers", "Search customers: ?q=text", False),
    ("post", "/api/customers", "Create a customer: {name, phones, email, account_number, "
     "segment, notes}", True),
    ("post", "/api/customers/{customer_id}", "Edit a customer (given fields only)", True),
    ("get", "/api/wallboard", "Queue figures, every agent's state and the calls in queue (supervisor)", False),
    ("post", "/api/agents/{agent_id}/pause", "Force an agent to pause (supervisor)", True),
    ("post", "/api/agents/{agent_id}/logout", "Force an agent to log out (supervisor)", True),
    *complaints.API,
    *reports.API,
    *supervision.API,
)


def document() -> dict[str, object]:
    paths: dict[str, dict[str, object]] = {}
    for method, path, summary, changes in API:
        operation: dict[str, object] = {
            "summary": summary,
            "responses": {"200": {"description": "OK"}, "401": {"description": "no session"},
                          "403": {"description": "wrong role or CSRF token"}},
        }
        if changes:
            operation["parameters"] = [{"name": "X-CSRF-Token", "in": "header",
                                        "required": True, "schema": {"type": "string"}}]
        paths.setdefault(path, {})[method] = operation
    return {"openapi": "3.0.3", "info": {"title": "contactcenter agent console",
                                         "version": "1"},
            "components": {"securitySchemes": {"session": {
                "type": "apiKey", "in": "cookie", "name": "cc_session"}}},
            "security": [{"session": []}], "paths": paths}
