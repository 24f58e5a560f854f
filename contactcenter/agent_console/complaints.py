"""The console's complaint routes and pages, registered by create_app when complaints are
configured: the front office (a customer's complaints, open one, add a note, tell the
solution and record the answer), the back office (work queue, take, assign, solution, ask
the customer, resolve, close, reopen, classify) and the MIS (figures, CSV export).

Who may (ROUTES, also the OpenAPI entries): agents see the complaints of their own
customers (a call they took, or a complaint they opened); resolvers those assigned to
them, of their teams or escalated to them; supervisors and admins all. Back-office moves
need the resolver role or above. Bad input is 400 with its field, an unknown complaint
404, a move the workflow refuses 409; every decision is the desk's (complaints/desk.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.complaints.escalator import Escalator
from contactcenter.complaints.mis import as_csv, figures, period
from contactcenter.crm.complaint_workflow import STATUSES, complaint_json
from contactcenter.crm.complaints import CHANNELS, ComplaintFilter
from contactcenter.crm.customers import Customers
from contactcenter.crm.errors import NotFound, RefusedTransition, ValidationError
from contactcenter.crm.records import Complaint, as_json
from contactcenter.events import EventBus

from . import validation as v
from .auth import Session

STATIC = Path(__file__).parent / "static"
DESK = web.AppKey("complaint_desk", ComplaintDesk)
ESCALATOR = web.AppKey("complaint_escalator", Escalator)
BUS = web.AppKey("complaint_bus", EventBus)
SESSION_OF: web.AppKey[Callable[[web.Request], Session]] = web.AppKey("complaint_session_of")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ANYONE = ("agent", "resolver", "supervisor", "admin")
BACK_OFFICE = ("resolver", "supervisor", "admin")
EVERYTHING = ("supervisor", "admin")  # see and act on every complaint
ID = "{complaint_id:\\d+}"


def add_routes(app: web.Application, *, desk: ComplaintDesk, bus: EventBus,
               session_of: Callable[[web.Request], Session],
               escalator: Escalator | None = None) -> None:
    """The complaint pages and API on `app`; `session_of` gives a request's session."""
    app[DESK], app[BUS], app[SESSION_OF] = desk, bus, session_of
    if escalator is not None:
        app[ESCALATOR] = escalator
    for method, path, handler, roles, _summary in ROUTES:
        app.router.add_route(method.upper(), path, _allowed(roles, handler))


def _allowed(roles: tuple[str, ...], handler: Handler) -> Handler:
    async def checked(request: web.Request) -> web.StreamResponse:
        if request.app[SESSION_OF](request).role not in roles:
            raise web.HTTPForbidden(text=f"needs the role {' or '.join(roles)}")
        try:
            return await handler(request)
        except ValidationError as exc:
            raise _error(web.HTTPBadRequest, str(exc), field=exc.field) from exc
        except NotFound as exc:
            raise _error(web.HTTPNotFound, str(exc)) from exc
        except RefusedTransition as exc:
            raise _error(web.HTTPConflict, str(exc), status=exc.status,
                         action=exc.action) from exc
    return checked


def _error(kind: type[web.HTTPException], message: str, **context: str) -> web.HTTPException:
    return kind(text=json.dumps({"error": message, **context}), content_type="application/json")


# -- pages --

def _page(name: str) -> Handler:
    async def page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / name)
    return page


# -- reading --

async def _settings(request: web.Request) -> web.StreamResponse:
    """Categories, severities, teams and channels, for the forms."""
    settings = request.app[DESK].settings
    me = request.app[SESSION_OF](request)
    return _json({
        "categories": {name: list(c.subcategories) for name, c in settings.categories.items()},
        "severities": list(settings.severities), "channels": list(CHANNELS),
        "statuses": list(STATUSES),
        "teams": {name: {"members": list(t.members), "queue": t.queue,
                         "escalate_to": t.escalate_to} for name, t in settings.teams.items()},
        "timezone": settings.hours.timezone, "my_teams": list(settings.teams_of(me.username)),
    })


async def _queue(request: web.Request) -> web.StreamResponse:
    """The work queue, soonest resolution due first: ?scope=mine|team|all (all: supervisors
    and admins), ?status=a,b, ?category, ?severity, ?team, ?escalated=1."""
    desk, me = request.app[DESK], request.app[SESSION_OF](request)
    scope = request.query.get("scope", "team" if me.role == "resolver" else "all")
    if scope not in ("mine", "team", "all") or (scope == "all" and me.role not in EVERYTHING):
        raise web.HTTPForbidden(text=f"scope {scope!r} is not yours")
    statuses = tuple(s for s in request.query.get("status", "").split(",") if s)
    if set(statuses) - set(STATUSES):
        raise _error(web.HTTPBadRequest, f"status: one of {', '.join(STATUSES)}",
                     field="status")
    where = dataclasses.replace(
        _filters(request), statuses=statuses,
        assignee=me.username if scope == "mine" else None,
        scope_user=me.username if scope == "team" else None,
        scope_teams=desk.settings.teams_of(me.username) if scope == "team" else None,
        escalated=True if request.query.get("escalated") else None)
    found = await asyncio.to_thread(desk.complaints.listing, where)
    return _listing(request, found)


async def _customer_complaints(request: web.Request) -> web.StreamResponse:
    """The customer and their complaints (an agent: only their own customers'; a resolver:
    only those in their scope)."""
    desk, me = request.app[DESK], request.app[SESSION_OF](request)
    customer_id = v.path_id(request, "customer_id")
    customer = await asyncio.to_thread(Customers(desk.db).get, customer_id)
    if me.role == "agent" and not await asyncio.to_thread(desk.complaints.handled_by,
                                                          customer_id, me.username):
        raise web.HTTPForbidden(text=f"customer {customer_id} is not one of yours")
    found = await asyncio.to_thread(desk.complaints.for_customer, customer_id)
    if me.role == "resolver":
        found = [c for c in found if _in_scope(desk, me, c)]
    return _listing(request, found, customer=as_json(customer))


async def _detail(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    complaint = await _visible(request)
    detail = await asyncio.to_thread(desk.complaints.detail, complaint.id)
    return _json({"complaint": complaint_json(detail.complaint, desk.clock()),
                  "notes": [as_json(n) for n in detail.notes],
                  "history": [as_json(h) for h in detail.history],
                  "interactions": [as_json(i) for i in detail.interactions],
                  "outbox": [as_json(m) for m in detail.outbox]})


async def _mis(request: web.Request) -> web.StreamResponse:
    """MIS figures of the complaints received in ?from..?to (local dates, inclusive)."""
    desk = request.app[DESK]
    found = await _reported(request)
    now = desk.clock()
    return _json({**as_json(figures(found, now, desk.settings.hours.timezone)),
                  "escalation": _escalation(request)})


async def _export(request: web.Request) -> web.StreamResponse:
    found = await _reported(request)
    return web.Response(text=as_csv(found, request.app[DESK].clock()), content_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="complaints.csv"'})


async def _reported(request: web.Request) -> list[Complaint]:
    """The complaints the MIS filters select; a resolver's are their teams' only."""
    desk, me = request.app[DESK], request.app[SESSION_OF](request)
    teams = desk.settings.teams_of(me.username) if me.role == "resolver" else None
    start, end = _received(request)
    where = dataclasses.replace(_filters(request),
                                scope_user=me.username if teams is not None else None,
                                scope_teams=teams, received_from=start, received_before=end)
    return await asyncio.to_thread(desk.complaints.listing, where)


# -- front office --

async def _open(request: web.Request) -> web.StreamResponse:
    """A new complaint for the customer: by call (call_id links it), letter or e-mail."""
    desk, me = request.app[DESK], request.app[SESSION_OF](request)
    body = await v.json_object(request)
    new = desk.draft(subject=v.text(body, "subject"), category=v.text(body, "category"),
                     subcategory=v.text(body, "subcategory"), severity=v.text(body, "severity"),
                     channel=v.text(body, "channel") or "call",
                     description=v.text(body, "description"),
                     customer_id=v.path_id(request, "customer_id"))
    opened = await asyncio.to_thread(desk.open, new, actor=me.username,
                                     call_id=v.text(body, "call_id") or None)
    return _json(complaint_json(opened, desk.clock()))


async def _note(request: web.Request) -> web.StreamResponse:
    desk, me = request.app[DESK], request.app[SESSION_OF](request)
    complaint = await _visible(request)
    body = await v.json_object(request)
    note = await asyncio.to_thread(desk.note, complaint.id, v.text(body, "body"),
                                   actor=me.username, call_id=v.text(body, "call_id") or None)
    return _json(as_json(note))


async def _answer(request: web.Request) -> web.StreamResponse:
    """The front office told the solution: the customer accepts it, or not (reopened)."""
    body = await v.json_object(request)
    accepted = body.get("accepted")
    if not isinstance(accepted, bool):
        raise _error(web.HTTPBadRequest, "accepted: true or false", field="accepted")
    return await _act(request, "accept" if accepted else "reject",
                      note=v.text(body, "note"))


async def _reopen(request: web.Request) -> web.StreamResponse:
    body = await v.json_object(request)
    return await _act(request, "reopen", note=v.text(body, "reason"))


# -- back office --

async def _move(request: web.Request) -> web.StreamResponse:
    """take, start or close: the path's last part names the action."""
    return await _act(request, request.path.rsplit("/", 1)[1], back_office=True)


async def _assign(request: web.Request) -> web.StreamResponse:
    body = await v.json_object(request)
    return await _act(request, "assign", {"assignee": v.text(body, "assignee")},
                      back_office=True)


async def _solution(request: web.Request) -> web.StreamResponse:
    body = await v.json_object(request)
    return await _act(request, "solution", {"solution": v.text(body, "solution")},
                      back_office=True)


async def _resolve(request: web.Request) -> web.StreamResponse:
    body = await v.json_object(request)
    solution = v.text(body, "solution")
    return await _act(request, "resolve", {"solution": solution} if solution else {},
                      back_office=True)


async def _classify(request: web.Request) -> web.StreamResponse:
    body = await v.json_object(request)
    inputs: dict[str, str] = {key: v.text(body, key)
                              for key in ("category", "subcategory", "severity") if key in body}
    return await _act(request, "classify", inputs, back_office=True)


async def _ask(request: web.Request) -> web.StreamResponse:
    """Ask the customer: via callback (the ACD queues a callback to them in the team's
    queue), letter or email (kept in the outbox)."""
    desk, me = request.app[DESK], request.app[SESSION_OF](request)
    complaint = await _visible(request, back_office=True)
    body = await v.json_object(request)
    asked, message, callback = await asyncio.to_thread(
        desk.ask_customer, complaint.id, via=v.text(body, "via"),
        question=v.text(body, "question"), actor=me.username)
    if callback is not None:
        request.app[BUS].publish(callback)
    return _json({"complaint": complaint_json(asked, desk.clock()),
                  "outbox": None if message is None else as_json(message),
                  "callback": None if callback is None else {
                      "call_id": callback.call_id, "queue": callback.queue,
                      "number": callback.number}})


async def _act(request: web.Request, action: str, inputs: dict[str, Any] | None = None, *,
               note: str = "", back_office: bool = False) -> web.StreamResponse:
    desk, me = request.app[DESK], request.app[SESSION_OF](request)
    complaint = await _visible(request, back_office=back_office)
    done = await asyncio.to_thread(desk.act, complaint.id, action, actor=me.username,
                                   inputs=inputs)
    if note.strip():  # what the customer said, on the thread
        await asyncio.to_thread(desk.note, complaint.id, note, actor=me.username)
    return _json(complaint_json(done, desk.clock()))


# -- rights --

async def _visible(request: web.Request, *, back_office: bool = False) -> Complaint:
    """The path's complaint if this session may see it (and, for back-office moves, act on
    it); 403 otherwise, 404 if there is no such complaint."""
    desk, me = request.app[DESK], request.app[SESSION_OF](request)
    complaint = await asyncio.to_thread(desk.complaints.get,
                                        v.path_id(request, "complaint_id"))
    if me.role in EVERYTHING:
        return complaint
    if me.role == "resolver":
        allowed = _in_scope(desk, me, complaint)
    else:
        allowed = not back_office and await asyncio.to_thread(
            desk.complaints.handled_by, complaint.customer_id, me.username)
    if not allowed:
        raise web.HTTPForbidden(text=f"complaint #{complaint.id} is not yours")
    return complaint


def _in_scope(desk: ComplaintDesk, me: Session, complaint: Complaint) -> bool:
    """A resolver's: assigned to them, of one of their teams, or escalated to one."""
    teams = desk.settings.teams_of(me.username)
    return (complaint.assignee == me.username or complaint.team in teams
            or complaint.escalated_to in teams)


# -- helpers --

def _listing(request: web.Request, found: list[Complaint], **extra: Any) -> web.StreamResponse:
    now = request.app[DESK].clock()
    return _json({**extra, "complaints": [complaint_json(c, now) for c in found],
                  "escalation": _escalation(request)})


def _escalation(request: web.Request) -> dict[str, Any] | None:
    """When the escalation task last looked and whether it failed, for every list."""
    escalator = request.app.get(ESCALATOR)
    return None if escalator is None else as_json(escalator.status())


def _filters(request: web.Request) -> ComplaintFilter:
    """?category, ?severity, ?team and ?channel; an empty one matches all."""
    query = request.query
    return ComplaintFilter(category=query.get("category") or None,
                           severity=query.get("severity") or None,
                           team=query.get("team") or None, channel=query.get("channel") or None)


def _received(request: web.Request) -> tuple[datetime | None, datetime | None]:
    """?from and ?to, local dates (inclusive), as the filter's received_from/_before."""
    days = {}
    for key in ("from", "to"):
        try:
            days[key] = date.fromisoformat(request.query[key]) if request.query.get(key) \
                else None
        except ValueError:
            raise _error(web.HTTPBadRequest, f"{key}: a date YYYY-MM-DD", field=key) from None
    return period(days["from"], days["to"], request.app[DESK].settings.hours.timezone)


def _json(value: object) -> web.StreamResponse:
    return web.json_response(value, dumps=lambda v: json.dumps(v, default=str))


ROUTES: tuple[tuple[str, str, Handler, tuple[str, ...], str], ...] = (
    # method, path, handler, roles, summary for /api/openapi.json ("" for pages)
    ("get", "/complaints", _page("complaints.html"), BACK_OFFICE, ""),
    ("get", "/mis", _page("mis.html"), BACK_OFFICE, ""),
    ("get", "/customer", _page("customer.html"), ANYONE, ""),
    ("get", "/api/complaints/settings", _settings, ANYONE, "Complaint categories and "
     "subcategories, severities, channels, statuses, teams and my teams"),
    ("get", "/api/complaints", _queue, BACK_OFFICE, "Work queue, soonest resolution due "
     "first: ?scope=mine|team|all (all: supervisor), ?status=a,b, ?category, ?severity, "
     "?team, ?channel, ?escalated=1; with the escalation task's last run (resolver and "
     "above)"),
    ("get", "/api/complaints/mis", _mis, BACK_OFFICE, "MIS figures of the complaints "
     "received ?from..?to (local dates), ?category, ?severity, ?team, ?channel (resolver: "
     "their teams only)"),
    ("get", "/api/complaints/export.csv", _export, BACK_OFFICE, "The same complaints as "
     "CSV, one row each"),
    ("get", "/api/customers/{customer_id:\\d+}/complaints", _customer_complaints, ANYONE,
     "A customer and their complaints, newest first (agent: own customers only; resolver: "
     "their scope)"),
    ("post", "/api/customers/{customer_id:\\d+}/complaints", _open, ANYONE, "Open a "
     "complaint: {subject, category, subcategory, severity, channel: call|letter|email, "
     "description, call_id?}"),
    ("get", f"/api/complaints/{ID}", _detail, ANYONE, "A complaint with its notes, history, "
     "calls and outbox"),
    ("post", f"/api/complaints/{ID}/notes", _note, ANYONE, "Add a note: {body, call_id?}"),
    ("post", f"/api/complaints/{ID}/answer", _answer, ANYONE, "The customer's answer to the "
     "solution told: {accepted: true|false, note?}; false reopens it"),
    ("post", f"/api/complaints/{ID}/reopen", _reopen, ANYONE, "Reopen a resolved or closed "
     "complaint: {reason?}"),
    ("post", f"/api/complaints/{ID}/take", _move, BACK_OFFICE, "Assign it to me and start "
     "(resolver and above)"),
    ("post", f"/api/complaints/{ID}/start", _move, BACK_OFFICE, "Start, or go on once the "
     "customer answered (resolver and above)"),
    ("post", f"/api/complaints/{ID}/close", _move, BACK_OFFICE, "Close after the customer "
     "accepted (resolver and above)"),
    ("post", f"/api/complaints/{ID}/assign", _assign, BACK_OFFICE, "Assign or reassign: "
     "{assignee} (resolver and above)"),
    ("post", f"/api/complaints/{ID}/solution", _solution, BACK_OFFICE, "Record the solution "
     "offered: {solution} (resolver and above)"),
    ("post", f"/api/complaints/{ID}/resolve", _resolve, BACK_OFFICE, "Resolve: {solution?} "
     "(resolver and above)"),
    ("post", f"/api/complaints/{ID}/classify", _classify, BACK_OFFICE, "Change {category, "
     "subcategory, severity}; team and due dates follow (resolver and above)"),
    ("post", f"/api/complaints/{ID}/ask", _ask, BACK_OFFICE, "Ask the customer: {via: "
     "callback|letter|email, question}; a callback is queued in the team's queue (resolver "
     "and above)"),
)
# the API routes for /api/openapi.json: method, path, summary, state-changing
API: tuple[tuple[str, str, str, bool], ...] = tuple(
    (method, re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path), summary, method == "post")
    for method, path, _handler, _roles, summary in ROUTES if summary)
