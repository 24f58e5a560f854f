"""The console's aiohttp application: pages, REST API, one websocket per page.

Every route but the login and /metrics needs a session (401 for /api and /ws, redirect for
pages); every state change needs the session's CSRF token; supervisor routes need the role.
/metrics is for Prometheus, which has no session: it takes the configured bearer token, or
without one answers loopback only (docs/monitoring.md). The
websocket and the login form accept only the console's own origin (or a configured one),
so another site (another port of the same host included) can neither read an agent's pops
nor sign a browser in. Every response carries the security headers (_headers): a CSP
without inline script or style, no framing, no sniffing, no referrer to other sites, no
caching of anything but static files. Bodies and fields are read through validation.py: a
malformed request is a 400, a refused change a 409, never a 500.
The websocket carries an agent's pops and state, and to a supervisor's page that
subscribes, the wallboard (wallboard_push.py). The complaint pages and routes are
complaints.py's, added when complaints are configured; the reports are reports.py's.
A database outage is never a 500: wrap-ups are kept by the database spool (crm/spool.py,
202 "will be saved"), sessions this process has seen stay signed in (auth.py), and any
other request that needs the database gets 503 with a JSON error.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import replace
from pathlib import Path

from aiohttp import WSMsgType, web
from prometheus_client import CONTENT_TYPE_LATEST

from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.complaints.escalator import Escalator
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database, failure_reason, unreachable
from contactcenter.crm.errors import CrmError, NotFound
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.phones import to_e164
from contactcenter.crm.records import Complaint, Interaction, as_json
from contactcenter.crm.spool import Kept, SpoolFull, WriteSpool
from contactcenter.crm.wrapup import ComplaintChange, wrap_up_with_complaint
from contactcenter.errors import InvalidTransition
from contactcenter.events import BusConsumer, EventBus
from contactcenter.prometheus import PlatformMetrics
from contactcenter.queue_config import QueueDefinition

from . import complaints as complaint_routes
from . import openapi
from . import reports as report_routes
from . import supervision as supervision_routes
from . import validation as v
from .auth import LoginLimiter, PasswordCheck, PasswordsBusy, Session, Sessions
from .desk import AgentDesk, CallDesk, MonitorDesk
from .pops import PopHub
from .wallboard_push import TOPIC, WallboardPusher

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
PASSWORDS = web.AppKey("passwords", PasswordCheck)
ORIGINS = web.AppKey("origins", frozenset[str])
HTTPS = web.AppKey("https", bool)
PUSHER = web.AppKey("pusher", WallboardPusher)
METRICS = web.AppKey("metrics", PlatformMetrics)
METRICS_TOKEN = web.AppKey("metrics_token", str)
SESSION = web.RequestKey("session", Session)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PUBLIC = {"/login", "/static/console.css", "/static/login.js", "/metrics"}
SUPERVISORS = ("supervisor", "admin")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(*, desk: AgentDesk, db: Database, bus: EventBus,
               calls: CallDesk | None = None, sessions: Sessions | None = None,
               limiter: LoginLimiter | None = None, passwords: PasswordCheck | None = None,
               origins: Collection[str] = (), https: bool = False,
               complaints: ComplaintDesk | None = None, escalator: Escalator | None = None,
               spool: WriteSpool | None = None, metrics: PlatformMetrics | None = None,
               metrics_token: str = "",
               queues: Mapping[str, QueueDefinition] | None = None,
               monitor: MonitorDesk | None = None,
               heartbeat_s: float = 10.0) -> web.Application:
    """Sessions, the login limit and password checks default to ones on `db` (auth.py;
    the app closes its PasswordCheck); the call control routes exist when `calls` is given,
    the complaint pages and routes when `complaints` is (with the escalation task's status
    when `escalator` is). `origins` are origins besides the console's own that may open the
    websocket and log in (a proxy's public name); `https`: the console is served over HTTPS
    (the cookie is Secure; so is it when a proxy says X-Forwarded-Proto: https). Wrap-ups
    are written through `spool` (share the interaction recorder's, so a call's wrap-up
    follows its row); without one the app runs its own. /metrics shows `metrics` (the
    platform's, which counts from its start; without one the app counts its own) to the
    bearer of `metrics_token` (without one: to this machine only); `queues` are the queue
    definitions the reports judge by; `monitor` (the platform's live monitoring) adds the
    listen/whisper/barge routes (supervision.py)."""
    app = web.Application(middlewares=[_database_down, _security])
    app[METRICS], app[METRICS_TOKEN] = metrics or PlatformMetrics(bus), metrics_token
    app[DESK], app[DB], app[BUS] = desk, db, bus
    app[HUB] = PopHub(observe=app[METRICS].observe_pop)
    app[PUSHER] = WallboardPusher(desk)
    app[SESSIONS], app[LIMITER] = sessions or Sessions(db), limiter or LoginLimiter(db)
    app[PASSWORDS] = passwords or PasswordCheck(db)
    app[ORIGINS], app[HTTPS] = frozenset(o.rstrip("/") for o in origins), https
    app.on_response_prepare.append(_headers)
    app.on_cleanup.append(_close_passwords)
    app[SPOOL] = spool or WriteSpool(publish=bus.publish)
    if spool is None:
        app.cleanup_ctx.append(_own_spool)
    if metrics is None:
        app.cleanup_ctx.append(_own_metrics)
    app.cleanup_ctx.append(_pop_consumer)
    app.cleanup_ctx.append(_wallboard_pusher)
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
    report_routes.add_routes(app, db=db, desk=desk, queues=dict(queues or {}),
                             guard=_supervisor)
    supervision_routes.add_routes(app, db=db, desk=desk, monitor=monitor,
                                  session_of=_session, supervisor=_supervisor, admin=_admin)
    app.router.add_get("/metrics", _metrics)
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


async def _own_metrics(app: web.Application) -> AsyncIterator[None]:
    async with app[METRICS]:
        yield


async def _wallboard_pusher(app: web.Application) -> AsyncIterator[None]:
    pusher = app[PUSHER]
    async with BusConsumer(app[BUS], pusher.handle, "console-wallboard"):
        task = asyncio.create_task(pusher.run(), name="console-wallboard-push")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await pusher.close()


async def _close_passwords(app: web.Application) -> None:
    app[PASSWORDS].close()


def _session(request: web.Request) -> Session:
    return request[SESSION]  # the middleware put it there, or refused the request


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    """The security headers, on every response (errors and static files included)."""
    headers = response.headers
    headers["Server"] = "contactcenter"  # not aiohttp's and Python's versions
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"  # no-referrer would make Origin "null"
    if not request.path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"


def _https(request: web.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.app[HTTPS] or request.secure or forwarded == "https"


def _same_origin(request: web.Request) -> bool:
    """Whether the request's Origin (sent by every browser on a websocket and a POST) is
    the console's own or a configured one; no Origin: not a browser, nothing to forge."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    own = f"{'https' if _https(request) else 'http'}://{request.host}"
    return origin in (own, *request.app[ORIGINS])


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
    try:
        if request.path not in PUBLIC:
            request[SESSION] = await _checked_session(request)
        return await handler(request)
    except NotFound as exc:
        raise v.error(web.HTTPNotFound, str(exc)) from exc
    except ValueError as exc:  # the CRM's ValidationError, a CR/LF bound for the PBX
        raise v.error(web.HTTPBadRequest, str(exc)) from exc
    except (InvalidTransition, CrmError) as exc:
        raise v.error(web.HTTPConflict, str(exc)) from exc


async def _checked_session(request: web.Request) -> Session:
    """The request's live session, and its CSRF token on a state change; else refused."""
    sid = request.cookies.get(COOKIE)
    session = await asyncio.to_thread(request.app[SESSIONS].get,
                                      sid if sid and sid.isascii() else None)
    if session is None:
        if request.path.startswith(("/api", "/ws")):
            raise web.HTTPUnauthorized(text="login required")
        raise web.HTTPFound("/login")
    if request.method not in SAFE_METHODS:
        token = request.headers.get("X-CSRF-Token")
        if token is None and request.content_type == "application/x-www-form-urlencoded":
            token = str((await request.post()).get("csrf", ""))
        if token is None or not v.token_matches(token, session.csrf):
            raise web.HTTPForbidden(text="missing or wrong CSRF token")
    return session


def _supervisor(handler: Handler) -> Handler:
    async def checked(request: web.Request) -> web.StreamResponse:
        if _session(request).role not in SUPERVISORS:
            raise web.HTTPForbidden(text="supervisor role required")
        return await handler(request)
    return checked


def _admin(handler: Handler) -> Handler:
    async def checked(request: web.Request) -> web.StreamResponse:
        if _session(request).role != "admin":
            raise web.HTTPForbidden(text="admin role required")
        return await handler(request)
    return checked


def _page(name: str) -> Handler:
    async def page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / name)
    return page


async def _login(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):  # login CSRF: signing a browser in as someone else
        raise web.HTTPForbidden(text="login from another site refused")
    form = await request.post()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    address = request.remote or ""
    limiter = request.app[LIMITER]
    if await asyncio.to_thread(limiter.blocked, username, address):
        raise web.HTTPTooManyRequests(text="too many failed logins; try again later")
    try:
        user = await request.app[PASSWORDS].authenticate(username, password)
    except PasswordsBusy as exc:
        raise web.HTTPServiceUnavailable(text=str(exc), headers={"Retry-After": "5"}) from exc
    if user is None:
        await asyncio.to_thread(limiter.failed, username, address)
        raise web.HTTPFound("/login?failed=1")
    await asyncio.to_thread(limiter.succeeded, username, address)
    session = await asyncio.to_thread(request.app[SESSIONS].create, user.username, user.role)
    response = web.HTTPFound("/")
    response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Strict", path="/",
                        secure=_https(request))
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
    body = await v.json_object(request)
    agent_id, desk = _session(request).username, request.app[DESK]
    state, reason = v.text(body, "state"), v.text(body, "reason")
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
    body = await v.json_object(request)
    if action == "hold":
        await calls.hold(agent_id)
    elif action == "resume":
        await calls.resume(agent_id)
    elif action == "transfer":
        await calls.transfer(agent_id, queue=v.optional_text(body, "queue"),
                             number=v.optional_text(body, "number"))
    else:
        await calls.consult(agent_id, v.text(body, "number"))
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
    body = await v.json_object(request)
    number = to_e164(v.text(body, "number"), field="number")
    await request.app[CALLS].dial(_session(request).username, number)
    return web.json_response({"number": number})


async def _wrapup(request: web.Request) -> web.StreamResponse:
    """Disposition and notes for my call; `complaint` opens ({subject, category,
    subcategory, severity, resolve?, notes?}) or follows up ({id, resolve?, notes?}) a
    complaint in the same transaction. 200 with "saved": true once written; 202
    {"saved": false, "queued": true} if the database is down or slow: the spool writes it,
    after the call's own row, when it answers."""
    body = await v.json_object(request)
    call_id, session = v.text(body, "call_id"), _session(request)
    complaint, complaint_id = v.object_field(body, "complaint"), v.optional_id(body,
                                                                                "complaint_id")
    if complaint is not None and complaint_id is not None:
        raise v.BadRequest("give complaint_id (link a complaint) or complaint (open or "
                           "follow one up), not both")
    change = None if complaint is None else _complaint_change(request, complaint)
    disposition = v.text(body, "disposition")
    save = functools.partial(
        _save_wrap_up, request.app[DB], call_id, session, change, complaint_id=complaint_id,
        disposition=disposition, notes=v.text(body, "notes"),
        customer_id=v.optional_id(body, "customer_id"))
    saved = await request.app[SPOOL].write(
        f"wrap-up of call {call_id} by {session.username} ({disposition})", save)
    if isinstance(saved, Kept):
        return web.json_response({"saved": False, "queued": True, "call_id": call_id},
                                 status=202)
    record, followed = saved
    return web.json_response({**as_json(record), "saved": True,
                              "complaint": None if followed is None else as_json(followed)},
                             dumps=_dumps)


def _save_wrap_up(db: Database, call_id: str, session: Session,
                  change: ComplaintChange | None, *, complaint_id: int | None,
                  disposition: str, notes: str,
                  customer_id: int | None) -> tuple[Interaction, Complaint | None]:
    """The wrap-up's write (blocking; the spool runs it, maybe after an outage): refused
    for an agent unless the call is recorded as theirs."""
    call = Interactions(db).find(call_id)
    if session.role == "agent" and (call is None or call.agent_id != session.username):
        raise web.HTTPForbidden(text=f"call {call_id} was not yours")  # nor anyone's
    actor = session.username
    if change is None:
        return Interactions(db).wrap_up(call_id, disposition=disposition, notes=notes,
                                        complaint_id=complaint_id, customer_id=customer_id,
                                        actor=actor), None
    return wrap_up_with_complaint(db, call_id, change, disposition=disposition, notes=notes,
                                  customer_id=customer_id, actor=actor)


def _complaint_change(request: web.Request, value: dict[str, object]) -> ComplaintChange:
    """{id?, resolve?, notes?} follows a complaint up; without id, {subject, category,
    subcategory, severity} opens one."""
    change = ComplaintChange(v.optional_id(value, "id"),
                             resolve=value.get("resolve") is True,
                             notes=v.text(value, "notes"))
    if change.complaint_id is not None:
        return change
    desk = request.app.get(COMPLAINTS)
    if desk is None:
        raise web.HTTPBadRequest(text="complaints are not configured (flows/complaints.yaml)")
    return replace(change, new=desk.draft(
        subject=v.text(value, "subject"), category=v.text(value, "category"),
        subcategory=v.text(value, "subcategory"), severity=v.text(value, "severity")))


async def _dispositions(request: web.Request) -> web.StreamResponse:
    codes = await asyncio.to_thread(Interactions(request.app[DB]).dispositions)
    return web.json_response([as_json(code) for code in codes], dumps=_dumps)


async def _customers(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(Customers(request.app[DB]).search,
                                    request.query.get("q", ""))
    return web.json_response([as_json(customer) for customer in found], dumps=_dumps)


CUSTOMER_TEXT = ("name", "email", "account_number", "segment", "notes")


async def _save_customer(request: web.Request) -> web.StreamResponse:
    """Create (no id in the path) or edit a customer: the given fields (null: not given),
    text as strings and phones a list of strings; the CRM validates their values."""
    body = await v.json_object(request)
    text = {key: v.text(body, key) for key in CUSTOMER_TEXT if body.get(key) is not None}
    phones = v.string_list(body, "phones")
    customers, actor = Customers(request.app[DB]), _session(request).username
    if "customer_id" in request.match_info:
        record = await asyncio.to_thread(customers.update,
                                         v.path_id(request, "customer_id"),
                                         phones=phones, actor=actor, **text)
    else:  # no name is the CRM's "name is required", not a missing argument
        record = await asyncio.to_thread(customers.create, phones=phones or (), actor=actor,
                                         **{"name": "", **text})
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


async def _metrics(request: web.Request) -> web.StreamResponse:
    """Prometheus exposition: with a token configured, Bearer <token>; without one, only
    from this machine (a scrape has no session, and the figures name queues and states)."""
    token = request.app[METRICS_TOKEN]
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise web.HTTPUnauthorized(text="metrics: Authorization: Bearer <metrics_token>")
    elif not _loopback(request.remote):
        raise web.HTTPForbidden(text="metrics: loopback only; set [web] metrics_token to "
                                     "scrape from elsewhere")
    metrics = request.app[METRICS]
    metrics.observe_board(await request.app[DESK].wallboard())
    return web.Response(body=metrics.exposition(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _websocket(heartbeat_s: float) -> Handler:
    async def websocket(request: web.Request) -> web.StreamResponse:
        """The page's live channel: state and pops for this agent only (the pop replayed),
        and the wallboard for a supervisor who subscribes ({"type": "subscribe", "topic":
        "wallboard"}: the whole board at once, then every change). Only a page of the
        console's own origin may open it (a browser sends the cookie with a websocket from
        any site)."""
        if not _same_origin(request):
            raise web.HTTPForbidden(text="websocket from another origin refused")
        session, hub = _session(request), request.app[HUB]
        agent_id, pusher = session.username, request.app[PUSHER]
        ws = web.WebSocketResponse(heartbeat=heartbeat_s)
        await ws.prepare(request)
        hub.sockets[agent_id].add(ws)
        try:
            if (pop := hub.last_pop.get(agent_id)) is not None:
                await ws.send_str(_dumps(pop))
            async for message in ws:
                if message.type == WSMsgType.ERROR:
                    break
                if message.type == WSMsgType.TEXT:
                    await _subscribe(ws, session, pusher, message.data)
        finally:
            hub.sockets[agent_id].discard(ws)
            pusher.unsubscribe(ws)
        return ws
    return websocket


async def _subscribe(ws: web.WebSocketResponse, session: Session, pusher: WallboardPusher,
                     text: str) -> None:
    """A page's request on its socket; what cannot be done is answered with an error."""
    try:
        request = json.loads(text)
    except json.JSONDecodeError:
        request = None
    if not isinstance(request, dict) or request.get("type") != "subscribe" \
            or request.get("topic") != TOPIC:
        await ws.send_str(_dumps({"type": "error", "error": 'expected {"type": "subscribe", '
                                                            '"topic": "wallboard"}'}))
    elif session.role not in SUPERVISORS:
        await ws.send_str(_dumps({"type": "error", "error": "the wallboard needs the "
                                                            "supervisor role"}))
    else:
        await pusher.subscribe(ws)


def _dumps(value: object) -> str:
    return json.dumps(value, default=str)
