"""The console's guards over real HTTP: sessions, CSRF, roles, per-agent pops, rate limit."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Literal

import pytest
from aiohttp import ClientSession, WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from argon2 import PasswordHasher

from contactcenter.acd.events import CallOffered
from contactcenter.agent_console.app import COOKIE, create_app
from contactcenter.agent_console.auth import LoginLimiter, PasswordCheck
from contactcenter.agent_console.openapi import API
from contactcenter.crm.users import Users
from tests.helpers import eventually

from .conftest import logged_in

PAGES = ("/", "/agent", "/supervisor", "/reports")
def concrete(path: str) -> str:
    """A path of the API with its parameters filled in."""
    return (path.replace("{agent_id}", "agent101").replace("{customer_id}", "1")
            .replace("{complaint_id}", "1").replace("{call_id}", "1796000000.1"))


ROUTES = tuple((method.upper(), concrete(path)) for method, path, _summary, _changes in API)


async def test_without_a_session_api_and_ws_are_401_and_pages_redirect(console) -> None:
    server, _bus, _desk = console
    async with ClientSession(str(server.make_url(""))) as http:
        for method, path in (*ROUTES, ("GET", "/api/openapi.json")):
            async with http.request(method, path, json={}) as response:
                assert response.status == 401, (method, path)
        for path in PAGES:
            async with http.get(path, allow_redirects=False) as response:
                assert response.status == 302 and response.headers["Location"] == "/login"
        with pytest.raises(WSServerHandshakeError) as refused:
            await http.ws_connect("/ws")
        assert refused.value.status == 401
        async with http.get("/login") as response:
            assert response.status == 200 and "password" in await response.text()


async def test_session_cookie_is_httponly_and_samesite_strict(console) -> None:
    server, _bus, _desk = console
    async with ClientSession(str(server.make_url(""))) as http:
        async with http.post("/login", allow_redirects=False,
                             data={"username": "agent101",
                                   "password": "agent101-demo"}) as response:
            cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_state_changes_need_the_sessions_csrf_token(console) -> None:
    server, _bus, desk = console
    client, csrf = await logged_in(server, "agent101")
    try:
        missing = await client.post("/api/state", json={"state": "login"})
        wrong = await client.post("/api/state", json={"state": "login"},
                                  headers={"X-CSRF-Token": "x" + csrf})
        assert (missing.status, wrong.status) == (403, 403)
        assert (await desk.agent_view("agent101"))["state"] == "logged_out"  # nothing done
        ok = await client.post("/api/state", json={"state": "login"},
                               headers={"X-CSRF-Token": csrf})
        assert ok.status == 200
        assert (await desk.agent_view("agent101"))["state"] != "logged_out"
        logout = await client.post("/logout", allow_redirects=False)
        assert logout.status == 403  # form logout without its csrf field
    finally:
        await client.close()


async def test_an_agent_is_refused_supervisor_routes(console) -> None:
    server, _bus, desk = console
    await desk.login("agent102")
    agent, csrf = await logged_in(server, "agent101")
    supervisor, supervisor_csrf = await logged_in(server, "supervisor")
    try:
        headers = {"X-CSRF-Token": csrf}
        assert (await agent.get("/supervisor", allow_redirects=False)).status == 403
        assert (await agent.get("/api/wallboard")).status == 403
        forced = await agent.post("/api/agents/agent102/pause", headers=headers)
        assert forced.status == 403
        assert (await desk.agent_view("agent102"))["state"] != "paused"
        assert (await supervisor.get("/api/wallboard")).status == 200
        allowed = await supervisor.post("/api/agents/agent102/pause",
                                        headers={"X-CSRF-Token": supervisor_csrf})
        assert allowed.status == 200
        assert (await desk.agent_view("agent102"))["state"] == "paused"
    finally:
        await agent.close()
        await supervisor.close()


async def _next_message(ws) -> dict[str, object]:
    return json.loads((await ws.receive(timeout=1.0)).data)


async def test_an_agent_receives_only_their_own_pops_and_gets_it_again_on_reconnect(
        console) -> None:
    server, bus, _desk = console
    first, _ = await logged_in(server, "agent101")
    second, _ = await logged_in(server, "agent102")
    try:
        ws1, ws2 = await first.ws_connect("/ws"), await second.ws_connect("/ws")
        bus.publish(CallOffered("call-2", "agent102", "support", 1.0, "+14155550102"))
        bus.publish(CallOffered("call-1", "agent101", "support", 1.0, "+14155550101"))
        assert (await _next_message(ws1))["call_id"] == "call-1"
        assert (await _next_message(ws2))["call_id"] == "call-2"
        with pytest.raises(asyncio.TimeoutError):
            await ws1.receive(timeout=0.2)  # agent102's pop never reaches agent101
        await ws1.close()
        again = await first.ws_connect("/ws")
        assert (await _next_message(again))["call_id"] == "call-1"
        view = await (await first.get("/api/agent")).json()
        assert view["pop"]["call_id"] == "call-1"
        await again.close()
        await ws2.close()
    finally:
        await first.close()
        await second.close()


async def test_wrong_passwords_are_rate_limited_per_user_and_address(console) -> None:
    server, _bus, _desk = console
    client = TestClient(server)
    await client.start_server()
    try:
        statuses = []
        for _ in range(6):
            response = await client.post("/login", allow_redirects=False,
                                         data={"username": "agent101", "password": "nope"})
            statuses.append(response.status)
        assert statuses == [302] * 5 + [429]
        right = await client.post("/login", allow_redirects=False,
                                  data={"username": "agent101", "password": "agent101-demo"})
        assert right.status == 429  # even the right password waits out the window
        other = await client.post("/login", allow_redirects=False,
                                  data={"username": "agent102", "password": "agent102-demo"})
        assert other.status == 302 and other.headers["Location"] == "/"
    finally:
        await client.close()


async def test_openapi_lists_every_api_route(console) -> None:
    server, _bus, _desk = console
    client, _ = await logged_in(server, "agent101")
    try:
        document = await (await client.get("/api/openapi.json")).json()
        documented = {(method.upper(), concrete(path))
                      for path, ops in document["paths"].items() for method in ops}
        assert documented == set(ROUTES)
        for method, path in documented:
            match = await server.app.router.resolve(make_mocked_request(method, path))
            assert match.http_exception is None, (method, path)
        registered = {(route.method, route.resource.canonical)
                      for route in server.app.router.routes()
                      if route.resource is not None and route.method != "HEAD"
                      and route.resource.canonical.startswith("/api/")}
        served = {(method, (await server.app.router.resolve(make_mocked_request(
            method, path))).route.resource.canonical) for method, path in documented}
        assert registered <= served | {("GET", "/api/openapi.json")}  # none undocumented
    finally:
        await client.close()


async def test_call_controls_need_csrf_and_act_only_on_my_own_connected_call(console) -> None:
    server, _bus, desk = console
    await desk.login("agent101")
    client, csrf = await logged_in(server, "agent101")
    calls = [path for method, path in ROUTES
             if path.startswith(("/api/call/", "/api/dial"))]
    body = {"number": "+15550100"}
    try:
        for path in calls:
            refused = await client.post(path, json=body)
            assert refused.status == 403, path
        refusals = {"/api/call/hold": "no connected call", "/api/call/resume": "not on hold",
                    "/api/call/transfer": "no connected call",
                    "/api/call/consult": "no connected call",
                    "/api/call/consult/complete": "no attended transfer",
                    "/api/call/consult/cancel": "no attended transfer"}
        assert set(refusals) == set(calls) - {"/api/dial"}
        for path, reason in refusals.items():  # only my own call is reachable, and I have none
            response = await client.post(path, json=body, headers={"X-CSRF-Token": csrf})
            assert response.status == 409 and reason in await response.text(), path
        assert (await desk.agent_view("agent101"))["state"] == "available"
    finally:
        await client.close()


async def test_the_websocket_opens_only_for_the_console_s_own_origin(console) -> None:
    """A page on another port of the same host must not read an agent's pops."""
    server, bus, _desk = console
    client, _ = await logged_in(server, "agent101")
    own = str(server.make_url("")).rstrip("/")
    try:
        for other in ("http://127.0.0.1:1", "https://" + own.split("://")[1], "null",
                      "http://evil.example"):
            with pytest.raises(WSServerHandshakeError) as refused:
                await client.ws_connect("/ws", origin=other)
            assert refused.value.status == 403, other
        ws = await client.ws_connect("/ws", origin=own)
        bus.publish(CallOffered("call-1", "agent101", "support", 1.0, "+14155550101"))
        assert (await _next_message(ws))["call_id"] == "call-1"
        await ws.close()
    finally:
        await client.close()


async def test_a_configured_origin_may_open_the_websocket(console, db) -> None:
    _server, bus, desk = console
    app = create_app(desk=desk, db=db, bus=bus, origins=["https://cc.example.org"])
    async with TestServer(app, host="127.0.0.1") as server:
        client, _ = await logged_in(server, "agent101")
        try:
            ws = await client.ws_connect("/ws", origin="https://cc.example.org")
            await ws.close()
            with pytest.raises(WSServerHandshakeError):
                await client.ws_connect("/ws", origin="https://other.example.org")
        finally:
            await client.close()


async def test_the_login_limit_counts_every_spelling_of_a_name(console) -> None:
    server, _bus, _desk = console
    async with TestClient(server) as client:
        for spelling in ("agent101", "AGENT101", " Agent101 ", "agent101", "aGeNt101"):
            failed = await client.post("/login", allow_redirects=False,
                                       data={"username": spelling, "password": "nope"})
            assert failed.status == 302
        for spelling in ("Agent101", "AGENT101", "agent101 "):  # the right password too
            response = await client.post("/login", allow_redirects=False, data={
                "username": spelling, "password": "agent101-demo"})
            assert response.status == 429, spelling


async def test_the_login_limit_counts_every_name_tried_from_one_address(console) -> None:
    server, _bus, _desk = console
    async with TestClient(server) as client:
        for n in range(20):  # 20 names, one try each: no single name reaches its limit
            failed = await client.post("/login", allow_redirects=False,
                                       data={"username": f"guess{n}", "password": "nope"})
            assert failed.status == 302
        right = await client.post("/login", allow_redirects=False,
                                  data={"username": "agent102", "password": "agent102-demo"})
        assert right.status == 429  # that address is done for the window


class HeldHasher(PasswordHasher):
    """argon2 whose verify waits until the test lets it go: a login flood in slow motion."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.started.release()
        self.release.wait(10)
        return super().verify(hash, password)


async def test_a_login_flood_never_stalls_a_signed_in_agent(console, db) -> None:
    """48 logins hang in password checks (and more are refused at once, not queued); the
    signed-in agent's requests are served meanwhile, and every login ends when released."""
    _server, bus, desk = console
    hasher = HeldHasher()
    passwords = PasswordCheck(db, workers=2, waiting=46, hasher=hasher)
    app = create_app(desk=desk, db=db, bus=bus, passwords=passwords,
                     limiter=LoginLimiter(db, per_address=1000))
    async with TestServer(app, host="127.0.0.1") as server:
        agent, _ = await logged_in_before(server, hasher, "agent101")
        async with TestClient(server) as flood:
            logins = [asyncio.create_task(flood.post(
                "/login", allow_redirects=False,
                data={"username": f"nobody{n}", "password": "guess"})) for n in range(48)]
            for _ in range(2):  # both password threads hold a bogus login
                assert await asyncio.to_thread(hasher.started.acquire, True, 5)
            await eventually(lambda: passwords.in_use == 48, 5.0)  # 46 wait their turn
            busy = await flood.post("/login", allow_redirects=False,
                                    data={"username": "nobody", "password": "guess"})
            assert busy.status == 503  # the 49th waits nowhere
            async with asyncio.timeout(5):  # while 48 logins are still in the pool
                for _ in range(5):
                    assert (await agent.get("/api/agent")).status == 200
            assert not any(login.done() for login in logins)
            hasher.release.set()
            statuses = [(await login).status for login in logins]
        assert statuses == [302] * 48
        await agent.close()


async def logged_in_before(server: TestServer, hasher: HeldHasher,
                           username: str) -> tuple[TestClient, str]:
    hasher.release.set()
    try:
        return await logged_in(server, username)
    finally:
        hasher.release.clear()
        while hasher.started.acquire(blocking=False):
            pass


async def test_a_deactivated_or_demoted_user_loses_access_on_the_next_request(console,
                                                                             db) -> None:
    server, _bus, _desk = console
    agent, _ = await logged_in(server, "agent101")
    supervisor, _ = await logged_in(server, "supervisor")
    try:
        assert (await agent.get("/api/agent")).status == 200
        assert (await supervisor.get("/api/wallboard")).status == 200
        users = Users(db)
        await asyncio.to_thread(users.update, "agent101", active=False)
        await asyncio.to_thread(users.update, "supervisor", role="agent")
        assert (await agent.get("/api/agent")).status == 401
        assert (await agent.get("/agent", allow_redirects=False)).status == 302
        assert (await supervisor.get("/api/wallboard")).status == 403
        assert (await (await supervisor.get("/api/session")).json())["role"] == "agent"
        await asyncio.to_thread(users.update, "agent101", active=True)  # back: a new login
        assert (await agent.get("/api/agent")).status == 200  # the session is still there
    finally:
        await agent.close()
        await supervisor.close()


async def test_a_new_password_ends_the_user_s_sessions(console, db) -> None:
    server, _bus, _desk = console
    first, _ = await logged_in(server, "agent101")
    second, _ = await logged_in(server, "agent101")
    other, _ = await logged_in(server, "agent102")
    try:
        await asyncio.to_thread(Users(db).set_password, "agent101", "a-new-secret")
        assert (await first.get("/api/agent")).status == 401
        assert (await second.get("/api/agent")).status == 401
        assert (await other.get("/api/agent")).status == 200
    finally:
        for client in (first, second, other):
            await client.close()


async def test_login_from_another_site_is_refused(console) -> None:
    """Login CSRF: a form on another site must not sign the browser in as its author."""
    server, _bus, _desk = console
    own = str(server.make_url("")).rstrip("/")
    async with TestClient(server) as client:
        form = {"username": "agent101", "password": "agent101-demo"}
        for other in ("http://evil.example", "null", own.replace("127.0.0.1", "localhost")):
            forged = await client.post("/login", allow_redirects=False, data=form,
                                       headers={"Origin": other})
            assert forged.status == 403 and COOKIE not in forged.cookies, other
        ok = await client.post("/login", allow_redirects=False, data=form,
                               headers={"Origin": own})
        assert ok.status == 302 and COOKIE in ok.cookies


async def test_the_cookie_is_secure_over_https(console, db) -> None:
    server, bus, desk = console
    form = {"username": "agent101", "password": "agent101-demo"}
    async with TestClient(server) as client:
        plain = await client.post("/login", allow_redirects=False, data=form)
        proxied = await client.post("/login", allow_redirects=False, data=form,
                                    headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in plain.headers["Set-Cookie"]
    assert "Secure" in proxied.headers["Set-Cookie"]
    async with TestServer(create_app(desk=desk, db=db, bus=bus, https=True),
                          host="127.0.0.1") as configured, TestClient(configured) as client:
        response = await client.post("/login", allow_redirects=False, data=form)
        assert "Secure" in response.headers["Set-Cookie"]
