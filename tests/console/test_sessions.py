"""Sessions and failed-login counts live in the CRM database: a restarted console (a new
app over the same database) keeps both; logout and expiry end a session everywhere."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from contactcenter.agent_console.app import COOKIE, create_app
from contactcenter.agent_console.auth import LoginLimiter, Sessions
from contactcenter.crm.database import Database
from contactcenter.crm.models import ConsoleSessionRow

from .conftest import logged_in


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def restarted(console, db_url: str, **auth) -> AsyncIterator[TestServer]:
    """A second console process, as after a restart: its own app and database handle."""
    _server, bus, desk = console
    db = Database.open(db_url)
    server = TestServer(create_app(desk=desk, db=db, bus=bus, **auth), host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()
        db.close()


def _with_cookie(server: TestServer, sid: str) -> ClientSession:
    return ClientSession(str(server.make_url("")), cookies={COOKIE: sid})


async def test_a_restarted_console_keeps_the_session_until_logout(console, db, db_url) -> None:
    server, _bus, desk = console
    client, csrf = await logged_in(server, "agent101")
    try:
        sid = client.session.cookie_jar.filter_cookies(server.make_url("/"))[COOKIE].value
        with db.session() as session:
            stored = list(session.scalars(select(ConsoleSessionRow.token_hash)))
        assert stored == [hashlib.sha256(sid.encode()).hexdigest()]  # not the token itself
        async with restarted(console, db_url) as again, _with_cookie(again, sid) as http:
            async with http.get("/api/session") as response:
                assert response.status == 200
                assert await response.json() == {"username": "agent101", "role": "agent",
                                                  "csrf": csrf}
            async with http.post("/api/state", json={"state": "available"},
                                 headers={"X-CSRF-Token": csrf}) as response:
                assert response.status == 200
            assert (await desk.agent_view("agent101"))["state"] == "available"
            async with http.post("/logout", data={"csrf": csrf},
                                 allow_redirects=False) as response:
                assert response.status == 302
        assert (await client.get("/api/session")).status == 401  # signed out everywhere
    finally:
        await client.close()


async def test_a_session_expires_after_its_lifetime(console, db_url) -> None:
    clock = Clock()
    db = Database.open(db_url)
    try:
        async with restarted(console, db_url,
                             sessions=Sessions(db, lifetime_s=60, clock=clock)) as server:
            client, _csrf = await logged_in(server, "agent101")
            try:
                clock.now += 59
                assert (await client.get("/api/session")).status == 200
                clock.now += 2
                assert (await client.get("/api/session")).status == 401
                assert (await client.get("/agent", allow_redirects=False)).status == 302
            finally:
                await client.close()
    finally:
        db.close()


async def _login(server: TestServer, password: str) -> int:
    async with ClientSession(str(server.make_url(""))) as http, http.post(
            "/login", data={"username": "agent101", "password": password},
            allow_redirects=False) as response:
        return response.status


async def test_failed_logins_count_across_a_restart_until_the_window_passes(
        console, db_url) -> None:
    clock = Clock()
    db = Database.open(db_url)
    try:
        limiter = {"limiter": LoginLimiter(db, attempts=5, window_s=300, clock=clock)}
        async with restarted(console, db_url, **limiter) as first:
            assert [await _login(first, "nope") for _ in range(3)] == [302] * 3
        async with restarted(console, db_url, **limiter) as second:
            assert [await _login(second, "nope") for _ in range(3)] == [302, 302, 429]
            assert await _login(second, "agent101-demo") == 429
            clock.now += 301
            assert await _login(second, "agent101-demo") == 302
    finally:
        db.close()
