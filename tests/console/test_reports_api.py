"""The reports and staffing API over real HTTP on the seeded CRM: the scripted day's queue
and agent reports as JSON and CSV, staffing from the last interval by Erlang C, the
what-if, bad input 400 and agents refused."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import UTC, datetime

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import AgentStateChanged, CallConnected, CallEnded, CallQueued
from contactcenter.acd.staffing import agents_needed
from contactcenter.crm.database import Database
from contactcenter.crm.queue_log import QueueLog
from tests.helpers import SHIPPED, rows
from tests.reports.scripted_day import COLUMNS, FIRST, QUEUES

from .conftest import console_server, logged_in

DAY = "from=2026-03-02T09:00&to=2026-03-02T10:00&tz=Europe/Paris&interval=30m"


async def test_the_queue_report_as_json_and_csv_is_the_scripted_day(reports) -> None:
    server, _bus, _desk = reports
    client, _ = await logged_in(server, "supervisor")
    try:
        report = await (await client.get(f"/api/reports/queues?{DAY}")).json()
        assert [span["start"] for span in report["intervals"]] == [
            "2026-03-02T09:00:00+01:00", "2026-03-02T09:30:00+01:00"]
        first = [tuple(row[c] for c in COLUMNS) for row in report["rows"]
                 if row["start"] == "2026-03-02T09:00:00+01:00"]
        assert first == QUEUES[FIRST]
        one = await (await client.get(f"/api/reports/queues?{DAY}&queue=sales")).json()
        assert {row["queue"] for row in one["rows"]} == {"sales"}
        every = await (await client.get(f"/api/reports/queues?{DAY}&all=1")).json()
        assert [row["offered"] for row in every["rows"]] == [6, 2]
        response = await client.get(f"/api/reports/queues.csv?{DAY}")
        assert response.content_type == "text/csv"
        assert "queues.csv" in response.headers["Content-Disposition"]
        lines = list(csv.DictReader(io.StringIO(await response.text())))
        assert [(line["queue"], line["offered"]) for line in lines[:4]] == [
            ("billing", "0"), ("operator", "1"), ("sales", "1"), ("support", "4")]
    finally:
        await client.close()


async def test_the_agent_report_has_time_by_state_and_pause_reason(reports) -> None:
    server, _bus, _desk = reports
    client, _ = await logged_in(server, "supervisor")
    try:
        report = await (await client.get(f"/api/reports/agents?{DAY}&agent=agent102")).json()
        first, second = report["rows"]
        assert (first["agent_id"], first["answered"], first["seconds"]["logged_out"]) == (
            "agent102", 1, 600.0)
        assert (second["transfers"], second["aht_s"], second["paused"]) == (
            1, 360.0, {"lunch": 1445.0})
        text = await (await client.get(f"/api/reports/agents.csv?{DAY}")).text()
        assert "paused:no answer_s" in text.splitlines()[0]
    finally:
        await client.close()


async def test_staffing_from_the_last_interval_by_erlang_c(db: Database) -> None:
    now = time.time()
    if now % 1800 > 1795:
        await asyncio.sleep(6)  # not across an interval's end
        now = time.time()
    start = now - now % 1800 - 1800  # the last complete half hour (UTC)
    events: list[object] = []
    for n in range(20):  # 20 support calls in the half hour (40 an hour), 180 s each
        at, agent = start + 60 * n, f"a{n}"
        events += [CallQueued(f"k{n}", "support", "+1", at),
                   CallConnected(f"k{n}", agent, "support", 10.0, at + 10),
                   CallEnded(f"k{n}", "support", "answered", agent, 10.0, 120.0, at + 130),
                   AgentStateChanged(agent, AgentState.WRAP_UP, "", f"k{n}", at + 130),
                   AgentStateChanged(agent, AgentState.AVAILABLE, "", None, at + 190)]
    QueueLog(db).add(rows(events))
    async with console_server(db, queues=SHIPPED) as (server, _bus, desk):
        await desk.login("agent101")
        client, _ = await logged_in(server, "supervisor")
        try:
            staffing = await (await client.get("/api/staffing?interval=30m&tz=UTC")).json()
        finally:
            await client.close()
    assert staffing["interval"]["start"] == datetime.fromtimestamp(start, UTC).isoformat()
    support = next(q for q in staffing["queues"] if q["queue"] == "support")
    expected = agents_needed(20 / 1800, 180.0, 80.0, 60.0)  # support: 80 % within 60 s
    assert (support["offered"], support["calls_per_hour"], support["aht_s"]) == (20, 40.0, 180.0)
    assert support["needed"]["agents"] == expected.agents == 4  # 2 Erlangs
    assert support["needed"]["service_level_pct"] == expected.service_level_pct
    assert (support["target_pct"], support["target_s"]) == (80.0, 60.0)
    assert support["staffed_now"] == 1  # agent101 logged in, agent102 not
    sales = next(q for q in staffing["queues"] if q["queue"] == "sales")
    assert (sales["offered"], sales["needed"]) == (0, None)  # no handle time to plan with


async def test_what_if_answers_erlang_c_and_bad_input_is_400(reports) -> None:
    server, _bus, _desk = reports
    client, _ = await logged_in(server, "supervisor")
    try:
        found = await (await client.get("/api/staffing/what-if?calls_per_hour=200&aht_s=180"
                                        "&target_pct=80&target_s=20")).json()
        assert (found["agents"], found["service_level_pct"]) == (14, 88.8)  # 10 Erlangs
        for query, field in (("calls_per_hour=x&aht_s=180&target_pct=80&target_s=20",
                              "calls_per_hour"),
                             ("calls_per_hour=200&aht_s=180&target_pct=100&target_s=20", ""),
                             ("calls_per_hour=200&aht_s=0&target_pct=80&target_s=20", "")):
            response = await client.get(f"/api/staffing/what-if?{query}")
            assert response.status == 400, query
            assert (await response.json())["field"] == field
        for query in ("interval=20m", "from=yesterday", "tz=Mars/Olympus"):
            response = await client.get(f"/api/reports/queues?{query}")
            assert response.status == 400 and "error" in await response.json(), query
    finally:
        await client.close()


async def test_an_agent_is_refused_the_reports(reports) -> None:
    server, _bus, _desk = reports
    client, _ = await logged_in(server, "agent101")
    try:
        for path in ("/reports", f"/api/reports/queues?{DAY}", "/api/reports/agents.csv",
                     "/api/staffing", "/api/staffing/what-if"):
            assert (await client.get(path)).status == 403, path
    finally:
        await client.close()
