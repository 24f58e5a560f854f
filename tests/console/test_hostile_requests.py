"""What a hostile or broken client sends the console: each malformed request is a 400
with a JSON error naming the problem (never a 500, never a 409) and changes nothing; every
response carries the security headers; an agent wraps up only a call they had; and the
pages run under the CSP in Chromium."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp.test_utils import TestClient

from contactcenter.crm.interactions import Interactions

from .conftest import logged_in, signed_in_page

OBJECT = "expected a JSON object"
NOT_JSON = "malformed JSON"
MALFORMED = [
    ("/api/state", b"{", NOT_JSON),
    ("/api/state", b"[1, 2]", OBJECT),
    ("/api/state", b"null", OBJECT),
    ("/api/state", b'{"state": "\xff"}', NOT_JSON),  # not UTF-8
    ("/api/state", b'{"state": ' + b"1" * 5000 + b"}", NOT_JSON),  # beyond int parsing
    ("/api/state", b"[" * 50_000 + b"]" * 50_000, NOT_JSON),  # beyond the parser's stack
    ("/api/state", {"state": 5}, "state: expected a string"),
    ("/api/state", {"state": "paused", "reason": {"why": 1}}, "reason: expected a string"),
    ("/api/call/transfer", {"number": 15550100.5}, "number: expected a string"),
    ("/api/call/transfer", {"queue": ["support"]}, "queue: expected a string"),
    ("/api/call/consult", {"number": 15550100}, "number: expected a string"),
    ("/api/call/hold", b"[]", OBJECT),
    ("/api/dial", {"number": 15550100}, "number: expected a string"),
    ("/api/wrapup", {"call_id": {"id": 1}}, "call_id: expected a string"),
    ("/api/wrapup", {"call_id": "call-1", "notes": 5}, "notes: expected a string"),
    ("/api/wrapup", b'{"call_id": "call-1", "customer_id": 1e400}', "customer_id: expected"),
    ("/api/wrapup", {"call_id": "call-1", "customer_id": 10**30}, "customer_id: expected"),
    ("/api/wrapup", {"call_id": "call-1", "customer_id": -1}, "customer_id: expected"),
    ("/api/wrapup", {"call_id": "call-1", "complaint_id": True}, "complaint_id: expected"),
    ("/api/wrapup", {"call_id": "call-1", "complaint": "resolve it"},
     "complaint: expected an object"),
    ("/api/wrapup", {"call_id": "call-1", "complaint": {"id": "x"}},
     "id: expected a record id"),
    ("/api/wrapup", {"call_id": "call-1", "complaint": {"subject": 7}}, "subject: expected"),
    ("/api/customers", {"name": 5}, "name: expected a string"),
    ("/api/customers", {"name": "Eve", "phones": "+14155550100"}, "phones: expected a list"),
    ("/api/customers", {"name": "Eve", "phones": [14155550100]}, "phones: expected a list"),
    ("/api/customers/99999999999999999999999", {"name": "Eve"}, "customer_id: expected"),
    ("/api/customers/9223372036854775808", {"name": "Eve"}, "customer_id: expected"),
]


@pytest.fixture
async def agent(console, db):
    """agent101 signed in, with a call of theirs on record (call-1)."""
    server, _bus, desk = console
    await asyncio.to_thread(Interactions(db).track, "call-1", {"agent_id": "agent101"})
    client, csrf = await logged_in(server, "agent101")
    yield client, csrf, desk
    await client.close()


@pytest.mark.parametrize(("path", "body", "message"), MALFORMED,
                         ids=[f"{p} {str(b)[:40]}" for p, b, _ in MALFORMED])
async def test_a_malformed_request_is_a_400_naming_the_problem(agent, path, body,
                                                               message) -> None:
    client, csrf, desk = agent
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.post(path, data=data, headers={
        "X-CSRF-Token": csrf, "Content-Type": "application/json"})
    assert response.status == 400, await response.text()
    assert response.content_type == "application/json"
    assert message in (await response.json())["error"]
    assert (await desk.agent_view("agent101"))["state"] == "logged_out"  # nothing done


async def test_a_path_id_out_of_range_is_a_400(agent) -> None:
    client, _csrf, _desk = agent
    for path in ("/api/customers/99999999999999999999999/complaints",
                 "/api/customers/0/complaints"):
        response = await client.get(path)
        assert response.status == 400, path
        assert "customer_id: expected a record id" in (await response.json())["error"]


async def test_tokens_that_are_not_ascii_are_refused_not_crashed_on(console, agent) -> None:
    server, _bus, _desk = console
    client, _csrf, desk = agent
    refused = await client.post("/api/state", json={"state": "login"},
                                headers={"X-CSRF-Token": "jeton-é"})
    assert refused.status == 400 and "not ASCII" in (await refused.json())["error"]
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"GET /api/agent HTTP/1.1\r\nHost: x\r\nCookie: cc_session=\xff\xfe\r\n"
                 b"Connection: close\r\n\r\n")  # bytes no decoder accepts as the cookie
    status = (await reader.readline()).split()[1]
    writer.close()
    assert status == b"401"
    assert (await desk.agent_view("agent101"))["state"] == "logged_out"


async def test_an_agent_wraps_up_only_a_call_they_had(console, db) -> None:
    """Not another agent's, not one no agent had (an abandoned call), not an unknown one;
    a supervisor may wrap up any call."""
    server, _bus, _desk = console
    interactions = Interactions(db)
    await asyncio.to_thread(interactions.track, "abandoned", {"state": "ended",
                                                              "outcome": "abandoned"})
    code = (await asyncio.to_thread(interactions.dispositions))[0].code
    agent, csrf = await logged_in(server, "agent101")
    supervisor, supervisor_csrf = await logged_in(server, "supervisor")
    try:
        for call_id in ("abandoned", "never-was"):
            refused = await agent.post("/api/wrapup", headers={"X-CSRF-Token": csrf},
                                       json={"call_id": call_id, "disposition": code,
                                             "customer_id": 1})
            assert refused.status == 403, call_id
        assert (await asyncio.to_thread(interactions.get, "abandoned")).customer_id is None
        allowed = await supervisor.post("/api/wrapup",
                                        headers={"X-CSRF-Token": supervisor_csrf},
                                        json={"call_id": "abandoned", "disposition": code})
        assert allowed.status == 200
    finally:
        await agent.close()
        await supervisor.close()


SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                    "Referrer-Policy")


async def test_every_response_carries_the_security_headers(console, agent) -> None:
    server, _bus, _desk = console
    client, csrf, _desk = agent
    fresh = TestClient(server)  # never signed in
    await fresh.start_server()
    try:
        responses = {
            "login page": await fresh.get("/login"),
            "static": await fresh.get("/static/console.css"),
            "401": await fresh.get("/api/agent"),
            "404": await fresh.get("/nowhere"),
            "api": await client.get("/api/agent"),
            "400": await client.post("/api/state", data=b"{", headers={"X-CSRF-Token": csrf}),
            "page": await client.get("/agent"),
        }
    finally:
        await fresh.close()
    for what, response in responses.items():
        headers = response.headers
        assert all(name in headers for name in SECURITY_HEADERS), what
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, what
        assert "frame-ancestors 'none'" in csp and headers["X-Frame-Options"] == "DENY", what
        assert headers["X-Content-Type-Options"] == "nosniff", what
        assert headers["Server"] == "contactcenter", what  # no aiohttp or Python version
        assert (headers.get("Cache-Control") == "no-store") == (what != "static"), what


@pytest.mark.browser
async def test_the_pages_work_under_the_csp_without_a_violation(live, browser) -> None:
    violations: list[str] = []
    login = await browser.new_page()
    login.on("console", lambda message: violations.append(message.text)
             if "Content Security Policy" in message.text else None)
    await login.goto(f"{live.base}/login?failed=1")
    assert await login.is_visible("#failed")  # login.js ran
    for username in ("agent101", "supervisor"):
        page = await signed_in_page(browser, live.base, username)
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        await page.reload()
        await page.wait_for_function(
            f"document.getElementById('me').textContent === '{username}'")
    assert violations == []
    injected = await login.evaluate("""() => {  // what an XSS would try: refused
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.append(script);
        return window.injected === true;
    }""")
    assert injected is False and violations  # the CSP is enforced, and said so
