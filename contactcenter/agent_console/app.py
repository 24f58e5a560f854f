"""The console's aiohttp application: pages, REST API, one websocket per agent page.

Every route but the login needs a session (401 for /api and /ws, redirect for pages);
every state change needs the session's CSRF token; supervisor routes need the role.
The complaint pages and routes are complaints.py's, added when complaints are configured.
A database outage is never a 500: wrap-ups are kept by the database spool (crm/spool.py,
202 "will be saved"), sessions this process has seen stay signed in (auth.py), and any
other request that needs the database gets 503 with a JSON error.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from aiohttp import WSMsgType, web

from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.complaints.escalator import Escalator
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database, failure_reason, unreachable
from contactcenter.crm.errors import CrmError
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.phones import to_e164
from contactcenter.crm.records import Complaint, Interaction, as_json
from contactcenter.crm.spool import Kept, SpoolFull, WriteSpool
from contactcenter.crm.users import Users
from contactcenter.crm.wrapup import ComplaintChange, wrap_up_with_complaint
from contactcenter.errors import InvalidTransition
from contactcenter.events import BusConsumer, EventBus

from . import complaints as complaint_routes
from . import openapi
from .auth import LoginLimiter, Session, Sessions
from .desk import AgentDesk, CallDesk
from .pops import PopHub

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COOKIE = "cc_session"
DESK = web.AppKey("desk", AgentDesk)
CALLS = web.AppKey("calls", CallDesk)
DB = web.AppKey("db", Database)
BUS = web.AppKey("bus", EventBus)
SESSIONS = web.AppKey("sessions", Sessions)
LIMITER = web.AppKey("limiter", LoginLimiter)
HUB = web.AppKey("hub", PopHub)
COMPLAINTS = web.AppKey("complaints", ComplaintDesk)
SPOOL = web.AppKey("spool", WriteSpool)
SESSION = web.RequestKey("session", Session)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PUBLIC = {"/login", "/static/console.css"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(*, desk: AgentDesk, db: Database, bus: EventBus,
               calls: CallDesk | None = None, sessions: Sessions | None = None,
               limiter: LoginLimiter | None = None,
               complaints: ComplaintDesk | None = None, escalator: Escalator | None = None,
               spool: WriteSpool | None = None, heartbeat_s: float = 10.0) -> web.Application:
    """Sessions and the login limit default to ones kept in `db` (auth.py); the call
    control routes exist when `calls` is given, the complaint pages and routes when
    `complaints` is (with the escalation task's status when `escalator` is). Wrap-ups are
    written through `spool` (share the interaction recorder's, so a call's wrap-up follows
    its row); without one the app runs its own."""
    app = web.Application(middlewares=[_database_down, _security])
    app[DESK], app[DB], app[BUS], app[HUB] = desk, db, bus, PopHub()
    app[SESSIONS], app[LIMITER] = sessions or Sessions(db), limiter or LoginLimiter(db)
    app[SPOOL] = spool or WriteSpool(publish=bus.publish)
    if spool is None:
        app.cleanup_ctx.append(_own_spool)
    app.cleanup_ctx.append(_pop_consumer)
    ws = _websocket(heartbeat_s)
    app.router.add_get("/login", _page("login.html"))
    app.router.add_post("/login", _login)
    app.router.add_post("/logout", _logout)
    app.router.add_get("/", _home)
    app.router.add_get("/agent", _page("agent.html"))
    app.router.add_get("/supervisor", _supervisor(_page("supervisor.html")))
    app.router.add_get("/ws", ws)
    app.router.add_get("/api/openapi.json", _openapi)
    app.router.add_get("/api/session", _session_info)
    app.router.add_get("/api/agent", _agent)
    app.router.add_post("/api/state", _state)
    app.router.add_post("/api/hangup", _hangup)
    app.router.add_post("/api/wrapup", _wrapup)
    app.router.add_get("/api/dispositions", _dispositions)
    app.router.add_get("/api/customers", _customers)
    app.router.add_post("/api/customers", _save_customer)
    app.router.add_post("/api/customers/{customer_id:\\d+}", _save_customer)
    if calls is not None:
        app[CALLS] = calls
        app.router.add_post("/api/call/{action:hold|resume|transfer|consult}", _call_action)
        app.router.add_post("/api/call/consult/{action:complete|cancel}", _consult_end)
        app.router.add_post("/api/dial", _dial)
    if complaints is not None:
        app[COMPLAINTS] = complaints
        complaint_routes.add_routes(app, desk=complaints, bus=bus, session_of=_session,
                                    escalator=escalator)
    app.router.add_get("/api/wallboard", _supervisor(_wallboard))
    app.router.add_post("/api/agents/{agent_id}/{action:pause|logout}", _supervisor(_force))
    app.router.add_static("/static", STATIC)
    return app


async def _pop_consumer(app: web.Application) -> AsyncIterator[None]:
    async with BusConsumer(app[BUS], app[HUB].handle, "console-pops"):
        yield
        for sockets in list(app[HUB].sockets.values()):
            for ws in list(sockets):
                await ws.close()


async def _own_spool(app: web.Application) -> AsyncIterator[None]:
    async with app[SPOOL]:
        yield


def _session(request: web.Request) -> Session:
    return request[SESSION]  # the middleware put it there, or refused the request


@web.middleware
async def _database_down(request: web.Request, handler: Handler) -> web.StreamResponse:
    """503 with a JSON error, not 500, for a request the database could not serve."""
    try:
        return await handler(request)
    except Exception as exc:
        if not (isinstance(exc, SpoolFull) or unreachable(exc)):
            raise
        log.warning("%s %s: database unavailable (%s)", request.method, request.path,
                    failure_reason(exc))
        message = str(exc) if isinstance(exc, SpoolFull) else "the database is unavailable"
        raise web.HTTPServiceUnavailable(text=json.dumps({"error": message}),
                                         content_type="application/json") from exc


@web.middleware
async def _security(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC:
        return await handler(request)
    session = await asyncio.to_thread(request.app[SESSIONS].get, request.cookies.get(COOKIE))
    if session is None:
        if request.path.startswith(("/api", "/ws")):
            raise web.HTTPUnauthorized(text="login required")
        raise web.HTTPFound("/login")
    if request.method not in SAFE_METHODS:
        token = request.headers.get("X-CSRF-Token")
        if token is None and request.content_type == "application/x-www-form-urlencoded":
            token = str((await request.post()).get("csrf", ""))
        if token is None or not hmac.compare_digest(token, session.csrf):
            raise web.HTTPForbidden(text="missing or wrong CSRF token")
    request[SESSION] = session
    try:
        return await handler(request)
    except (InvalidTransition, CrmError, ValueError) as exc:
        raise web.HTTPConflict(text=json.dumps({"error": str(exc)}),
                               content_type="application/json") from exc


def _supervisor(handler: Handler) -> Handler:
    async def checked(request: web.Request) -> web.StreamResponse:
        if _session(request).role not in ("supervisor", "admin"):
            raise web.HTTPForbidden(text="supervisor role required")
        return await handler(request)
    return checked


def _page(name: str) -> Handler:
    async def page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / name)
    return page


async def _login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    address = request.remote or ""
    limiter = request.app[LIMITER]
    if await asyncio.to_thread(limiter.blocked, username, address):
        raise web.HTTPTooManyRequests(text="too many failed logins; try again later")
    users = Users(request.app[DB])
    user = await asyncio.to_thread(users.authenticate, username, password)
    if user is None:
        await asyncio.to_thread(limiter.failed, username, address)
        raise web.HTTPFound("/login?failed=1")
    await asyncio.to_thread(limiter.succeeded, username, address)
    session = await asyncio.to_thread(request.app[SESSIONS].create, user.username, user.role)
    response = web.HTTPFound("/")
    response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Strict", path="/")
    raise response


async def _logout(request: web.Request) -> web.StreamResponse:
    await asyncio.to_thread(request.app[SESSIONS].drop, _session(request).sid)
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def _home(request: web.Request) -> web.StreamResponse:
    role = _session(request).role
    raise web.HTTPFound({"agent": "/agent", "resolver": "/complaints"}.get(role, "/supervisor"))


async def _openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(openapi.document())


async def _session_info(request: web.Request) -> web.StreamResponse:
    session = _session(request)
    return web.json_response({"username": session.username, "role": session.role,
                              "csrf": session.csrf})


async def _agent(request: web.Request) -> web.StreamResponse:
    agent_id = _session(request).username
    view = await request.app[DESK].agent_view(agent_id)
    calls = request.app.get(CALLS)
    return web.json_response({"agent": view, "pop": request.app[HUB].last_pop.get(agent_id),
                              "call": calls.status(agent_id) if calls else None},
                             dumps=_dumps)


async def _state(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    agent_id, desk = _session(request).username, request.app[DESK]
    state, reason = body.get("state"), str(body.get("reason", ""))
    if state == "available":
        await desk.set_available(agent_id)
    elif state == "paused":
        await desk.pause(agent_id, reason or "break")
    elif state == "login":
        await desk.login(agent_id)
    elif state == "logout":
        await desk.logout(agent_id)
    else:
        raise web.HTTPBadRequest(text=f"unknown state {state!r}")
    return web.json_response(await desk.agent_view(agent_id), dumps=_dumps)


async def _hangup(request: web.Request) -> web.StreamResponse:
    await request.app[DESK].hangup(_session(request).username)
    return web.json_response({"ok": True})


async def _call_action(request: web.Request) -> web.StreamResponse:
    """Hold, resume, blind transfer ({queue} or {number}) or start an attended transfer
    ({number}) on my own connected call."""
    agent_id, calls = _session(request).username, request.app[CALLS]
    action = request.match_info["action"]
    body = await request.json() if action in ("transfer", "consult") else {}
    if action == "hold":
        await calls.hold(agent_id)
    elif action == "resume":
        await calls.resume(agent_id)
    elif action == "transfer":
        await calls.transfer(agent_id, queue=_optional_text(body, "queue"),
                             number=_optional_text(body, "number"))
    else:
        await calls.consult(agent_id, _optional_text(body, "number") or "")
    return web.json_response(calls.status(agent_id))


async def _consult_end(request: web.Request) -> web.StreamResponse:
    agent_id, calls = _session(request).username, request.app[CALLS]
    if request.match_info["action"] == "complete":
        await calls.complete_consult(agent_id)
    else:
        await calls.cancel_consult(agent_id)
    return web.json_response(calls.status(agent_id))


async def _dial(request: web.Request) -> web.StreamResponse:
    """Click-to-dial from a customer record: my phone rings, then the number is dialled."""
    body = await request.json()
    number = to_e164(_optional_text(body, "number") or "", field="number")
    await request.app[CALLS].dial(_session(request).username, number)
    return web.json_response({"number": number})


async def _wrapup(request: web.Request) -> web.StreamResponse:
    """Disposition and notes for my call; `complaint` opens ({subject, category,
    subcategory, severity, resolve?, notes?}) or follows up ({id, resolve?, notes?}) a
    complaint in the same transaction. 200 with "saved": true once written; 202
    {"saved": false, "queued": true} if the database is down or slow: the spool writes it,
    after the call's own row, when it answers."""
    body = await request.json()
    call_id, session = str(body.get("call_id", "")), _session(request)
    if body.get("complaint") is not None and body.get("complaint_id") not in (None, ""):
        raise web.HTTPBadRequest(text="give complaint_id (link a complaint) or complaint "
                                      "(open or follow one up), not both")
    change = None if body.get("complaint") is None \
        else _complaint_change(request, body["complaint"])
    disposition = str(body.get("disposition", ""))
    save = functools.partial(
        _save_wrap_up, request.app[DB], call_id, session, change,
        complaint_id=_optional_int(body.get("complaint_id")), disposition=disposition,
        notes=str(body.get("notes", "")), customer_id=_optional_int(body.get("customer_id")))
    saved = await request.app[SPOOL].write(
        f"wrap-up of call {call_id} by {session.username} ({disposition})", save)
    if isinstance(saved, Kept):
        return web.json_response({"saved": False, "queued": True, "call_id": call_id},
                                 status=202)
    record, complaint = saved
    return web.json_response({**as_json(record), "saved": True,
                              "complaint": None if complaint is None else as_json(complaint)},
                             dumps=_dumps)


def _save_wrap_up(db: Database, call_id: str, session: Session,
                  change: ComplaintChange | None, *, complaint_id: int | None,
                  disposition: str, notes: str,
                  customer_id: int | None) -> tuple[Interaction, Complaint | None]:
    """The wrap-up's write (blocking; the spool runs it, maybe after an outage): refused
    for an agent when the call was another agent's."""
    call = Interactions(db).find(call_id)
    if call is not None and call.agent_id not in (None, session.username) \
            and session.role == "agent":
        raise web.HTTPForbidden(text=f"call {call_id} was not yours")
    actor = session.username
    if change is None:
        return Interactions(db).wrap_up(call_id, disposition=disposition, notes=notes,
                                        complaint_id=complaint_id, customer_id=customer_id,
                                        actor=actor), None
    return wrap_up_with_complaint(db, call_id, change, disposition=disposition, notes=notes,
                                  customer_id=customer_id, actor=actor)


def _complaint_change(request: web.Request, value: object) -> ComplaintChange:
    if not isinstance(value, dict):
        raise web.HTTPBadRequest(text="complaint: an object {id?, subject?, category?, "
                                      "subcategory?, severity?, resolve?, notes?}")
    change = ComplaintChange(_optional_int(value.get("id")),
                             resolve=value.get("resolve") is True,
                             notes=str(value.get("notes") or ""))
    if change.complaint_id is not None:
        return change
    desk = request.app.get(COMPLAINTS)
    if desk is None:
        raise web.HTTPBadRequest(text="complaints are not configured (flows/complaints.yaml)")
    text = {key: str(value.get(key) or "") for key in ("subject", "category", "subcategory",
                                                       "severity")}
    return replace(change, new=desk.draft(**text))


async def _dispositions(request: web.Request) -> web.StreamResponse:
    codes = await asyncio.to_thread(Interactions(request.app[DB]).dispositions)
    return web.json_response([as_json(code) for code in codes], dumps=_dumps)


async def _customers(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(Customers(request.app[DB]).search,
                                    request.query.get("q", ""))
    return web.json_response([as_json(customer) for customer in found], dumps=_dumps)


CUSTOMER_FIELDS = ("name", "phones", "email", "account_number", "segment", "notes")


async def _save_customer(request: web.Request) -> web.StreamResponse:
    """Create (no id in the path) or edit a customer; the CRM validates every field."""
    body = await request.json()
    fields = {key: body[key] for key in CUSTOMER_FIELDS if key in body}
    customers, actor = Customers(request.app[DB]), _session(request).username
    if "customer_id" in request.match_info:
        record = await asyncio.to_thread(customers.update,
                                         int(request.match_info["customer_id"]),
                                         actor=actor, **fields)
    else:
        record = await asyncio.to_thread(customers.create, actor=actor, **fields)
    return web.json_response(as_json(record), dumps=_dumps)


async def _wallboard(request: web.Request) -> web.StreamResponse:
    return web.json_response(await request.app[DESK].wallboard(), dumps=_dumps)


async def _force(request: web.Request) -> web.StreamResponse:
    agent_id, desk = request.match_info["agent_id"], request.app[DESK]
    if request.match_info["action"] == "pause":
        await desk.pause(agent_id, f"supervisor {_session(request).username}")
    else:
        await desk.logout(agent_id)
    return web.json_response(await desk.agent_view(agent_id), dumps=_dumps)


def _websocket(heartbeat_s: float) -> Handler:
    async def websocket(request: web.Request) -> web.StreamResponse:
        """The agent's live channel: state and pops for this agent only; replays the pop."""
        agent_id, hub = _session(request).username, request.app[HUB]
        ws = web.WebSocketResponse(heartbeat=heartbeat_s)
        await ws.prepare(request)
        hub.sockets[agent_id].add(ws)
        try:
            if (pop := hub.last_pop.get(agent_id)) is not None:
                await ws.send_str(_dumps(pop))
            async for message in ws:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            hub.sockets[agent_id].discard(ws)
        return ws
    return websocket


def _optional_text(body: object, key: str) -> str | None:
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    value = body.get(key)
    return None if value in (None, "") else str(value)


def _optional_int(value: object) -> int | None:
    if value in (None, ""):
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(str(value))
    raise web.HTTPBadRequest(text=f"not a number: {value!r}")


def _dumps(value: object) -> str:
    return json.dumps(value, default=str)
