"""The supervisor's hands on live calls (supervisors and admins; an agent gets 403): live
monitoring (listen, whisper, barge on an agent's call through their own phone, the device
of their user record; switch mode; stop), acts on waiting calls (move to another queue,
new priority, entry time reset), and what was done, for admins: every monitoring session
and every act (crm/supervision.py). State changes carry the CSRF token like every other
(app.py's middleware); bodies are read through validation.py (400 with what is wrong), a
refused change is 409 (InvalidTransition).

    POST /api/monitoring              {agent_id, mode: listen|whisper|barge}
    POST /api/monitoring/mode         {mode}
    POST /api/monitoring/stop
    GET  /api/monitoring              my session, and everyone's under way
    GET  /api/monitoring/sessions     (admins) the audit of sessions, newest first
    POST /api/calls/{call_id}         {queue?, priority?, reset_entry?}: a waiting call
    GET  /api/calls/acts              the audit of acts on waiting calls, newest first
    GET  /api/calls/{call_id}/why     every offer of the call and why it went to its agent
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from contactcenter.crm.database import Database
from contactcenter.crm.records import as_json
from contactcenter.crm.supervision import Supervision
from contactcenter.crm.users import Users
from contactcenter.cti.spying import SpyMode

from . import validation as v
from .auth import Session
from .desk import AgentDesk, MonitorDesk

DB = web.AppKey("supervision_db", Database)
MONITOR = web.AppKey("supervision_monitor", MonitorDesk)
DESK = web.AppKey("supervision_desk", AgentDesk)
SESSION_OF: web.AppKey[Callable[[web.Request], Session]] = web.AppKey("supervision_session_of")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MODES = ", ".join(mode.value for mode in SpyMode)
LISTED = 200  # audit rows a page shows


def add_routes(app: web.Application, *, db: Database, desk: AgentDesk,
               monitor: MonitorDesk | None, session_of: Callable[[web.Request], Session],
               supervisor: Callable[[Handler], Handler],
               admin: Callable[[Handler], Handler]) -> None:
    """The routes on `app`; without `monitor` (a console with no PBX link) the monitoring
    ones answer 409."""
    app[DB], app[DESK], app[SESSION_OF] = db, desk, session_of
    if monitor is not None:
        app[MONITOR] = monitor
    for method, path, handler, _summary, admins_only in ROUTES:
        guard = admin if admins_only else supervisor
        app.router.add_route(method.upper(), path, guard(handler))


def _me(request: web.Request) -> str:
    return request.app[SESSION_OF](request).username


def _mode(body: dict[str, Any]) -> SpyMode:
    value = v.text(body, "mode")
    try:
        return SpyMode(value)
    except ValueError:
        raise v.BadRequest(f"mode: expected one of {MODES}, got {value!r}") from None


def _monitor(request: web.Request) -> MonitorDesk:
    monitor = request.app.get(MONITOR)
    if monitor is None:
        raise v.error(web.HTTPConflict, "live monitoring needs the platform's PBX link")
    return monitor


async def _monitoring(request: web.Request) -> web.StreamResponse:
    monitor = _monitor(request)
    return web.json_response({"mine": monitor.session(_me(request)),
                              "live": monitor.sessions()})


async def _start(request: web.Request) -> web.StreamResponse:
    """Ring my phone into ChanSpy on `agent_id`'s call."""
    body = await v.json_object(request)
    agent_id, mode = v.text(body, "agent_id"), _mode(body)
    if not agent_id:
        raise v.BadRequest("agent_id: expected the id of the agent to monitor")
    me = _me(request)
    user = await asyncio.to_thread(Users(request.app[DB]).find, me)
    if user is None or not user.device:
        raise v.error(web.HTTPConflict, f"{me} has no phone (device) to monitor with: an "
                                        "admin sets it (contactcenter users ...)")
    return web.json_response(await _monitor(request).start(me, user.device, agent_id, mode))


async def _switch(request: web.Request) -> web.StreamResponse:
    mode = _mode(await v.json_object(request))
    return web.json_response(await _monitor(request).switch(_me(request), mode))


async def _stop(request: web.Request) -> web.StreamResponse:
    await _monitor(request).stop(_me(request))
    return web.json_response({"stopping": True})


async def _sessions(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(Supervision(request.app[DB]).sessions, LISTED)
    return web.json_response([as_json(s) for s in found], dumps=_dumps)


async def _acts(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(Supervision(request.app[DB]).acts, LISTED)
    return web.json_response([as_json(a) for a in found], dumps=_dumps)


async def _why(request: web.Request) -> web.StreamResponse:
    """404 until the call has been offered (its explanations are written as it rings)."""
    call_id = request.match_info["call_id"]
    found = await asyncio.to_thread(Supervision(request.app[DB]).decisions, call_id)
    if not found:
        raise v.error(web.HTTPNotFound, f"call {call_id} has not been offered (yet)")
    return web.json_response({"call_id": call_id, "offers": [as_json(d) for d in found]},
                             dumps=_dumps)


async def _change_waiting(request: web.Request) -> web.StreamResponse:
    """Move a waiting call to `queue` and/or give it `priority`; it keeps its entry time
    unless `reset_entry` is true."""
    body = await v.json_object(request)
    queue, priority = v.optional_text(body, "queue"), v.optional_int(body, "priority")
    reset = v.flag(body, "reset_entry")
    if queue is None and priority is None and not reset:
        raise v.BadRequest("nothing to change: give queue, priority or reset_entry")
    call = await request.app[DESK].change_waiting(
        request.match_info["call_id"], by=_me(request), queue=queue, priority=priority,
        reset_entry=reset)
    return web.json_response({"call_id": call.call_id, "queue": call.queue,
                              "priority": call.priority, "entered_at": call.entered_at})


ROUTES: tuple[tuple[str, str, Handler, str, bool], ...] = (
    # method, path, handler, summary for /api/openapi.json, admins only
    ("get", "/api/monitoring", _monitoring, "My monitoring session and everyone's under way "
     "(supervisor)", False),
    ("post", "/api/monitoring", _start, "Monitor an agent's call: {agent_id, mode: listen|"
     "whisper|barge}; my phone (my user's device) rings into ChanSpy (supervisor)", False),
    ("post", "/api/monitoring/mode", _switch, "Switch my monitoring to {mode} (supervisor)",
     False),
    ("post", "/api/monitoring/stop", _stop, "Stop monitoring: my phone hangs up (supervisor)",
     False),
    ("get", "/api/monitoring/sessions", _sessions, "Every monitoring session: who, whom, "
     "when, modes, how long (admin)", True),
    ("get", "/api/calls/acts", _acts, "Supervisors' acts on waiting calls (supervisor)",
     False),
    ("get", "/api/calls/{call_id}/why", _why, "Why each offer of the call went to its "
     "agent (supervisor)", False),
    ("post", "/api/calls/{call_id}", _change_waiting, "Act on a waiting call: {queue?, "
     "priority?, reset_entry?}; it keeps its entry time unless reset (supervisor)", False),
)
API: tuple[tuple[str, str, str, bool], ...] = tuple(
    (method, path, summary, method == "post") for method, path, _h, summary, _a in ROUTES)


def _dumps(value: object) -> str:
    return json.dumps(value, default=str)
