"""The console's reports and staffing (supervisors and admins): the interval reports page
(charts, table, CSV), the staffing table (Erlang C from each queue's last interval, next to
the agents it had and has) and the what-if. The figures are reports/'s and acd/staffing's;
this module reads the query, loads in a worker thread and answers.

Query: ?interval=15m|30m|60m|1d, ?from and ?to (YYYY-MM-DD, or YYYY-MM-DDTHH:MM local),
?tz (an IANA zone, the browser's), ?queue or ?all=1 (queues), ?agent (agents). Bad input
is 400 with what is wrong.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from contactcenter.acd.agent_time import STAFFED
from contactcenter.acd.staffing import agents_needed
from contactcenter.crm.database import Database
from contactcenter.queue_config import QueueDefinition
from contactcenter.reports.intervals import AgentRow, QueueRow, agent_csv, parse_size, queue_csv
from contactcenter.reports.load import Period, agents_report, period, queues_report
from contactcenter.reports.planning import last_complete, plans

from .desk import AgentDesk

STATIC = Path(__file__).parent / "static"
DB = web.AppKey("reports_db", Database)
DESK = web.AppKey("reports_desk", AgentDesk)
QUEUES = web.AppKey("reports_queues", Mapping[str, QueueDefinition])
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application, *, db: Database, desk: AgentDesk,
               queues: Mapping[str, QueueDefinition],
               guard: Callable[[Handler], Handler]) -> None:
    """The report routes on `app`, each behind `guard` (the supervisor role)."""
    app[DB], app[DESK], app[QUEUES] = db, desk, queues
    for method, path, handler, _summary in ROUTES:
        app.router.add_route(method.upper(), path, guard(handler))


async def _page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "reports.html")


async def _queues(request: web.Request) -> web.StreamResponse:
    when = _period(request)
    rows = await _queue_rows(request, when)
    return _json({"intervals": _spans(when), "rows": [asdict(row) for row in rows]}, when)


async def _queues_csv(request: web.Request) -> web.StreamResponse:
    when = _period(request)
    return _csv(queue_csv(await _queue_rows(request, when), when.tz), "queues.csv")


async def _agents(request: web.Request) -> web.StreamResponse:
    when = _period(request)
    rows = await _agent_rows(request, when)
    return _json({"intervals": _spans(when), "rows": [asdict(row) for row in rows]}, when)


async def _agents_csv(request: web.Request) -> web.StreamResponse:
    when = _period(request)
    return _csv(agent_csv(await _agent_rows(request, when), when.tz), "agents.csv")


async def _staffing(request: web.Request) -> web.StreamResponse:
    """Each queue's last complete interval, Erlang C's agents for its target, the agents
    it had then (mean) and has now (logged in and not paused)."""
    tz, size, now = _zone(request), _size(request), datetime.now(UTC)
    span = last_complete(Period(now - timedelta(seconds=2 * size), now, size, tz).spans, now)
    assert span is not None  # two intervals back, one has ended
    when = Period(span.start, span.end, size, tz)
    queues = request.app[QUEUES]
    found = plans(await asyncio.to_thread(queues_report, request.app[DB], when, now, queues),
                  queues)
    board = await request.app[DESK].wallboard()
    live = board.get("queues", {})
    assert isinstance(live, Mapping)
    return _json({"interval": {"start": span.start, "end": span.end},
                  "queues": [{**asdict(plan), "staffed_now": _staffed_now(live.get(plan.queue))}
                             for plan in found]}, when)


async def _what_if(request: web.Request) -> web.StreamResponse:
    """?calls_per_hour, ?aht_s, ?target_pct, ?target_s -> agents, expected SL and ASA."""
    values = {}
    for key in ("calls_per_hour", "aht_s", "target_pct", "target_s"):
        try:
            values[key] = float(request.query[key])
        except (KeyError, ValueError):
            raise _bad(f"{key}: a number is required", key) from None
    try:
        found = agents_needed(values["calls_per_hour"] / 3600, values["aht_s"],
                              values["target_pct"], values["target_s"])
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    return web.json_response(asdict(found))


def _staffed_now(figures: object) -> int | None:
    if not isinstance(figures, Mapping):
        return None
    return sum(count for state, count in figures["agents"].items() if state in STAFFED)


async def _queue_rows(request: web.Request, when: Period) -> list[QueueRow]:
    """The report's rows: every queue's, ?queue's only, or ?all=1: all queues together."""
    every = request.query.get("all") in ("1", "true")
    rows = await asyncio.to_thread(queues_report, request.app[DB], when, datetime.now(UTC),
                                   request.app[QUEUES], by_queue=not every)
    return [row for row in rows if request.query.get("queue") in (None, "", row.queue)]


async def _agent_rows(request: web.Request, when: Period) -> list[AgentRow]:
    rows = await asyncio.to_thread(agents_report, request.app[DB], when, datetime.now(UTC))
    return [row for row in rows if request.query.get("agent") in (None, "", row.agent_id)]


def _period(request: web.Request) -> Period:
    try:
        return period(request.query.get("from") or None, request.query.get("to") or None,
                      _size(request), _zone(request), datetime.now(UTC))
    except ValueError as exc:
        raise _bad(str(exc), "from") from exc


def _size(request: web.Request) -> int:
    try:
        return parse_size(request.query.get("interval", "30m"))
    except ValueError as exc:
        raise _bad(str(exc), "interval") from exc


def _zone(request: web.Request) -> tzinfo:
    name = request.query.get("tz") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad(f"unknown time zone {name!r}", "tz") from None


def _spans(when: Period) -> list[dict[str, datetime]]:
    return [{"start": span.start, "end": span.end} for span in when.spans]


def _bad(message: str, field: str = "") -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message, "field": field}),
                              content_type="application/json")


def _json(value: object, when: Period) -> web.StreamResponse:
    """Times in the report's zone, as the page shows them."""
    def plain(item: object) -> object:
        return item.astimezone(when.tz).isoformat() if isinstance(item, datetime) else str(item)
    return web.json_response(value, dumps=lambda v: json.dumps(v, default=plain))


def _csv(text: str, name: str) -> web.StreamResponse:
    return web.Response(text=text, content_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


ROUTES: tuple[tuple[str, str, Handler, str], ...] = (
    # method, path, handler, summary for /api/openapi.json ("" for pages)
    ("get", "/reports", _page, ""),
    ("get", "/api/reports/queues", _queues, "Interval report per queue: ?interval=15m|30m|"
     "60m|1d, ?from, ?to (YYYY-MM-DD or YYYY-MM-DDTHH:MM), ?tz, ?queue, ?all=1 (supervisor)"),
    ("get", "/api/reports/queues.csv", _queues_csv, "The same as CSV (supervisor)"),
    ("get", "/api/reports/agents", _agents, "Interval report per agent: calls, AHT, "
     "occupancy, time by state and pause reason; ?interval, ?from, ?to, ?tz, ?agent "
     "(supervisor)"),
    ("get", "/api/reports/agents.csv", _agents_csv, "The same as CSV (supervisor)"),
    ("get", "/api/staffing", _staffing, "Per queue: the last complete ?interval's calls an "
     "hour and AHT, Erlang C's agents for its service-level target, agents staffed then "
     "(mean) and now (supervisor)"),
    ("get", "/api/staffing/what-if", _what_if, "Erlang C: ?calls_per_hour, ?aht_s, "
     "?target_pct, ?target_s -> agents, expected service level, ASA, occupancy "
     "(supervisor)"),
)
API: tuple[tuple[str, str, str, bool], ...] = tuple(
    (method, path, summary, False) for method, path, _handler, summary in ROUTES if summary)
