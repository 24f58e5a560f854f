"""The console's guards over real HTTP: sessions, CSRF, roles, per-agent pops, rate limit."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import ClientSession, WSServerHandshakeError
from aiohttp.test_utils import TestClient, make_mocked_request

from contactcenter.acd.events import CallOffered
from contactcenter.agent_console.openapi import API

from .conftest import logged_in

PAGES = ("/", "/agent", "/supervisor")
def concrete(path: str) -> str:
    """A path of the API with its parameters filled in."""
    return (path.replace("{agent_id}", "agent101").replace("{customer_id}", "1")
            .replace("{complaint_id}", "1"))


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
