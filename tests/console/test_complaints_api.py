"""The complaint routes over real HTTP with the seeded CRM: each route for each role, who
may and who may not; 400, 404 and 409 for bad input, unknown complaints and refused moves;
a callback task reaching the ACD's queue."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp.test_utils import TestClient

from contactcenter.acd.events import CallbackQueued
from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.crm.customers import Customers
from contactcenter.crm.interactions import Interactions
from tests.helpers import next_event

from .conftest import COMPLAINTS, logged_in

ROLES = ("agent101", "agent102", "resolver1", "resolver2", "supervisor", "admin")
FRONT = {"agent101", "resolver1", "supervisor", "admin"}  # may see Cleo's billing complaint
BACK = {"resolver1", "supervisor", "admin"}  # may work on it in the back office
EVERYONE, BACK_OFFICE_ROLES = set(ROLES), {"resolver1", "resolver2", "supervisor", "admin"}
Setup = Callable[[ComplaintDesk, int], None]


def resolved(desk: ComplaintDesk, complaint_id: int) -> None:
    desk.act(complaint_id, "resolve", actor="supervisor", inputs={"solution": "Refunded"})


def accepted(desk: ComplaintDesk, complaint_id: int) -> None:
    resolved(desk, complaint_id)
    desk.act(complaint_id, "accept", actor="agent101")


def assigned(desk: ComplaintDesk, complaint_id: int) -> None:
    desk.act(complaint_id, "assign", actor="supervisor", inputs={"assignee": "resolver1"})


def started(desk: ComplaintDesk, complaint_id: int) -> None:
    assigned(desk, complaint_id)
    desk.act(complaint_id, "start", actor="resolver1")


def as_new(desk: ComplaintDesk, complaint_id: int) -> None:
    """Left as opened."""


# method, path ({c}: Cleo's customer id, {id}: a fresh billing complaint of hers), body,
# how the complaint is prepared, who may (each of them gets 200; the others 403)
MATRIX: list[tuple[str, str, dict | None, Setup, set[str]]] = [
    ("GET", "/api/complaints/settings", None, as_new, EVERYONE),
    ("GET", "/api/complaints", None, as_new, BACK_OFFICE_ROLES),
    ("GET", "/api/complaints/mis", None, as_new, BACK_OFFICE_ROLES),
    ("GET", "/api/complaints/export.csv", None, as_new, BACK_OFFICE_ROLES),
    ("GET", "/api/customers/{c}/complaints", None, as_new, EVERYONE - {"agent102"}),
    ("GET", "/api/complaints/{id}", None, as_new, FRONT),
    ("POST", "/api/complaints/{id}/notes", {"body": "Called again"}, as_new, FRONT),
    ("POST", "/api/complaints/{id}/answer", {"accepted": True}, resolved, FRONT),
    ("POST", "/api/complaints/{id}/reopen", {"reason": "Not refunded"}, resolved, FRONT),
    ("POST", "/api/complaints/{id}/take", None, as_new, BACK),
    ("POST", "/api/complaints/{id}/start", None, assigned, BACK),
    ("POST", "/api/complaints/{id}/close", None, accepted, BACK),
    ("POST", "/api/complaints/{id}/assign", {"assignee": "resolver1"}, as_new, BACK),
    ("POST", "/api/complaints/{id}/solution", {"solution": "Refund 20 EUR"}, started, BACK),
    ("POST", "/api/complaints/{id}/resolve", {"solution": "Refunded"}, started, BACK),
    ("POST", "/api/complaints/{id}/classify", {"category": "billing", "subcategory":
                                               "invoice disputed", "severity": "high"},
     as_new, BACK),
    ("POST", "/api/complaints/{id}/ask", {"via": "email", "question": "Your IBAN?"},
     started, BACK),
    # last: opening one of Cleo's complaints makes her agent102's customer too
    ("POST", "/api/customers/{c}/complaints", {
        "subject": "Second refund", "category": "billing", "subcategory": "refund",
        "severity": "low", "channel": "letter"}, as_new, EVERYONE),
]


@pytest.fixture
async def signed_in(console) -> AsyncIterator[dict[str, tuple[TestClient, str]]]:
    """Every role signed in (closing a test client stops the server: all close at the end)."""
    server, _bus, _desk = console
    clients = {role: await logged_in(server, role) for role in ROLES}
    yield clients
    for client, _csrf in clients.values():
        await client.close()


@pytest.fixture
async def cleo(console, db) -> tuple[int, ComplaintDesk]:
    """Cleo, a customer agent101 took a call from (agent102 never did), and the desk."""
    cleo = await asyncio.to_thread(Customers(db).create, name="Cleo Patra",
                                   email="cleo@example.org", phones=["+14155550177"])
    await asyncio.to_thread(Interactions(db).track, "cleo-1", {"customer_id": cleo.id,
                                                               "agent_id": "agent101"})
    return cleo.id, ComplaintDesk(db, COMPLAINTS)


def billing(desk: ComplaintDesk, customer_id: int) -> int:
    return desk.open(desk.draft(subject="Refund not received", category="billing",
                                subcategory="refund", severity="high",
                                customer_id=customer_id), actor="agent101").id


def test_the_matrix_covers_every_complaint_route() -> None:
    from contactcenter.agent_console.complaints import API

    covered = {(method, path.replace("{c}", "{customer_id}").replace("{id}", "{complaint_id}"))
               for method, path, *_ in MATRIX}
    assert covered == {(method.upper(), path) for method, path, _s, _c in API}


async def test_who_may_and_who_may_not(signed_in, cleo) -> None:
    """Every route of the matrix for every role, each on a fresh complaint: 200 for those
    who may, 403 (and nothing changed) for the others."""
    customer_id, desk = cleo
    for method, path, body, setup, allowed in MATRIX:
        for role, (client, csrf) in signed_in.items():
            complaint_id = await asyncio.to_thread(billing, desk, customer_id)
            await asyncio.to_thread(setup, desk, complaint_id)
            before = await asyncio.to_thread(desk.complaints.detail, complaint_id)
            url = path.format(c=customer_id, id=complaint_id)
            response = await client.request(method, url, json=body,
                                            headers={"X-CSRF-Token": csrf})
            expected = 200 if role in allowed else 403
            assert response.status == expected, (method, path, role, await response.text())
            if expected == 403:  # a refusal changed nothing
                assert await asyncio.to_thread(desk.complaints.detail, complaint_id) == before


async def test_lists_show_each_role_its_own(signed_in, cleo) -> None:
    customer_id, desk = cleo
    mine = await asyncio.to_thread(billing, desk, customer_id)
    service = await asyncio.to_thread(lambda: desk.open(desk.draft(
        subject="No signal", category="service", subcategory="outage", severity="low",
        customer_id=customer_id), actor="agent101").id)

    async def listed(role: str, url: str) -> set[int]:
        response = await signed_in[role][0].get(url)
        assert response.status == 200, (role, url)
        return {c["id"] for c in (await response.json())["complaints"]}

    of_cleo = f"/api/customers/{customer_id}/complaints"
    assert {mine, service} <= await listed("agent101", of_cleo)
    assert await listed("resolver1", of_cleo) == {mine}  # billing is resolver1's team
    assert await listed("resolver2", of_cleo) == {service}
    assert mine in await listed("resolver1", "/api/complaints")
    assert service not in await listed("resolver1", "/api/complaints")
    assert {mine, service} <= await listed("supervisor", "/api/complaints?scope=all")
    assert await listed("resolver1", "/api/complaints?scope=mine") == set()
    await asyncio.to_thread(desk.act, service, "assign", actor="supervisor",
                            inputs={"assignee": "resolver1"})
    assert await listed("resolver1", "/api/complaints?scope=mine") == {service}
    resolver = signed_in["resolver1"][0]
    assert (await resolver.get("/api/complaints?scope=all")).status == 403
    exported = await (await resolver.get("/api/complaints/export.csv")).text()
    rows = {int(r["id"]) for r in csv.DictReader(io.StringIO(exported))}
    assert mine in rows and service in rows  # assigned to them now


async def test_bad_input_404_and_refused_moves(console, cleo) -> None:
    server, _bus, _desk = console
    customer_id, desk = cleo
    complaint_id = await asyncio.to_thread(billing, desk, customer_id)
    client, csrf = await logged_in(server, "supervisor")
    headers = {"X-CSRF-Token": csrf}
    try:
        refused = await client.post(f"/api/complaints/{complaint_id}/close", headers=headers)
        assert refused.status == 409
        assert await refused.json() == {
            "error": "cannot close a new complaint (allowed: assign, classify, escalate, "
                     "resolve, take)", "status": "new", "action": "close"}
        unsolved = await client.post(f"/api/complaints/{complaint_id}/resolve",
                                     headers=headers, json={})
        assert unsolved.status == 409 and "without a solution" in await unsolved.text()
        bad = await client.post(f"/api/customers/{customer_id}/complaints", headers=headers,
                                json={"subject": "x", "category": "billing",
                                      "subcategory": "refund", "severity": "urgent"})
        assert (bad.status, (await bad.json())["field"]) == (400, "severity")
        for response in (await client.get("/api/complaints/mis?from=yesterday"),
                         await client.get("/api/complaints?status=lost"),
                         await client.post(f"/api/complaints/{complaint_id}/answer",
                                           headers=headers, json={"accepted": "yes"}),
                         await client.post(f"/api/complaints/{complaint_id}/notes",
                                           headers=headers, data="not json")):
            assert response.status == 400, await response.text()
        missing = await client.get("/api/complaints/999999")
        assert missing.status == 404
        assert (await asyncio.to_thread(desk.complaints.get, complaint_id)).status == "new"
    finally:
        await client.close()


async def test_asking_by_callback_queues_a_callback_to_the_customer(console, cleo) -> None:
    server, bus, distributor = console
    customer_id, desk = cleo
    complaint_id = await asyncio.to_thread(billing, desk, customer_id)
    client, csrf = await logged_in(server, "resolver1")
    try:
        taken = await client.post(f"/api/complaints/{complaint_id}/take",
                                  headers={"X-CSRF-Token": csrf})
        assert (await taken.json())["assignee"] == "resolver1"
        with bus.subscribe() as events:
            asked = await client.post(f"/api/complaints/{complaint_id}/ask",
                                      headers={"X-CSRF-Token": csrf},
                                      json={"via": "callback", "question": "Which account?"})
            assert asked.status == 200
            callback = (await asked.json())["callback"]
            await next_event(events, CallbackQueued, lambda e: e.call_id == callback["call_id"])
        assert (callback["queue"], callback["number"]) == ("billing", "+14155550177")
    finally:
        await client.close()
    (waiting,) = [c for c in await distributor.store.waiting()
                  if c.call_id == callback["call_id"]]
    assert (waiting.queue, waiting.callback, waiting.fields) == (
        "billing", "+14155550177", {"complaint": str(complaint_id)})
    detail = await asyncio.to_thread(desk.complaints.detail, complaint_id)
    assert detail.complaint.status == "awaiting_customer"
    assert [i.call_id for i in detail.interactions] == [callback["call_id"]]


async def test_pages_by_role_and_a_resolver_lands_on_the_work_queue(signed_in) -> None:
    pages = {"/complaints": BACK_OFFICE_ROLES, "/mis": BACK_OFFICE_ROLES, "/customer": EVERYONE}
    for role, (client, _csrf) in signed_in.items():
        for page, allowed in pages.items():
            response = await client.get(page, allow_redirects=False)
            assert response.status == (200 if role in allowed else 403), (role, page)
    home = await signed_in["resolver1"][0].get("/", allow_redirects=False)
    assert home.headers["Location"] == "/complaints"
