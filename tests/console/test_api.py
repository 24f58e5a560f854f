"""The REST API's operations against the real CRM: wrap-up with complaints, customers, bad
input."""

from __future__ import annotations

import asyncio
import functools
import time

from contactcenter.crm.complaints import Complaints
from contactcenter.crm.customers import Customers
from contactcenter.crm.interactions import Interactions

from .conftest import logged_in, survey_ratings


async def test_wrap_up_saves_only_a_known_disposition_and_only_for_my_call(console, db) -> None:
    server, _bus, _desk = console
    interactions = Interactions(db)
    await asyncio.to_thread(interactions.track, "call-1", {"agent_id": "agent101",
                                                           "caller_num": "+14155550123"})
    await asyncio.to_thread(interactions.track, "call-2", {"agent_id": "agent102"})
    code = (await asyncio.to_thread(interactions.dispositions))[0].code
    client, csrf = await logged_in(server, "agent101")
    headers = {"X-CSRF-Token": csrf}
    try:
        bad = await client.post("/api/wrapup", headers=headers,
                                json={"call_id": "call-1", "disposition": "no-such-code"})
        assert bad.status == 400 and "disposition" in await bad.text()
        assert (await asyncio.to_thread(interactions.get, "call-1")).disposition is None
        theirs = await client.post("/api/wrapup", headers=headers,
                                   json={"call_id": "call-2", "disposition": code})
        assert theirs.status == 403
        assert (await asyncio.to_thread(interactions.get, "call-2")).disposition is None
        ok = await client.post("/api/wrapup", headers=headers,
                               json={"call_id": "call-1", "disposition": code, "notes": "n"})
        assert ok.status == 200
        saved = await asyncio.to_thread(interactions.get, "call-1")
        assert (saved.disposition, saved.notes) == (code, "n")
    finally:
        await client.close()


async def test_customers_are_created_searched_and_edited(console, db) -> None:
    server, _bus, _desk = console
    client, csrf = await logged_in(server, "agent101")
    headers = {"X-CSRF-Token": csrf}
    try:
        created = await client.post("/api/customers", headers=headers,
                                    json={"name": "Zebulon Quartermaine", "phones": ["+14155550999"]})
        assert created.status == 200
        customer_id = (await created.json())["id"]
        found = await (await client.get("/api/customers", params={"q": "Quartermaine"})).json()
        assert [c["id"] for c in found] == [customer_id]
        edited = await client.post(f"/api/customers/{customer_id}", headers=headers,
                                   json={"email": "zeb@example.org"})
        assert edited.status == 200
        stored = await asyncio.to_thread(Customers(db).get, customer_id)
        assert (stored.name, stored.email) == ("Zebulon Quartermaine", "zeb@example.org")
        for nameless in ({"name": " "}, {"email": "anon@example.org"}):
            refused = await client.post("/api/customers", headers=headers, json=nameless)
            assert refused.status == 400, nameless
            assert "name" in await refused.text()
        assert len(await asyncio.to_thread(Customers(db).search, "Quartermaine")) == 1
    finally:
        await client.close()


async def test_hang_up_without_a_call_is_refused_clearly(console) -> None:
    server, _bus, desk = console
    await desk.login("agent101")
    client, csrf = await logged_in(server, "agent101")
    try:
        response = await client.post("/api/hangup", headers={"X-CSRF-Token": csrf})
        assert response.status == 409 and "no call" in await response.text()
    finally:
        await client.close()


async def test_wrap_up_opens_or_follows_up_a_complaint_and_refuses_bad_ones_whole(
        console, db) -> None:
    server, _bus, _desk = console
    interactions, complaints = Interactions(db), Complaints(db)
    ada = (await asyncio.to_thread(Customers(db).search, "Ada Lovelace"))[0]
    for call_id, agent in (("call-1", "agent101"), ("call-2", "agent101"),
                           ("theirs", "agent102")):
        await asyncio.to_thread(interactions.track, call_id, {"agent_id": agent,
                                                              "customer_id": ada.id})
    code = (await asyncio.to_thread(interactions.dispositions))[0].code
    before = await asyncio.to_thread(complaints.for_customer, ada.id)
    client, csrf = await logged_in(server, "agent101")
    post = functools.partial(client.post, "/api/wrapup", headers={"X-CSRF-Token": csrf})
    try:
        opened = await post(json={"call_id": "call-1", "disposition": code, "complaint": {
            "subject": "Duplicate invoice", "category": "billing",
            "subcategory": "invoice disputed", "severity": "medium",
            "notes": "Charged twice in May"}})
        assert opened.status == 200
        complaint = (await opened.json())["complaint"]
        assert (complaint["subject"], complaint["status"], complaint["description"]) == (
            "Duplicate invoice", "new", "Charged twice in May")
        assert (complaint["team"], complaint["channel"]) == ("billing", "call")
        assert complaint["resolution_due_at"] > complaint["response_due_at"]
        stored = await asyncio.to_thread(interactions.get, "call-1")
        assert stored.complaint_id == complaint["id"]

        for bad in ({"complaint": {"subject": "", "category": "billing",
                                   "subcategory": "refund", "severity": "high"}},
                    {"complaint": {"subject": "x", "category": "shipping", "severity": "high"}},
                    {"complaint": {"id": complaint["id"], "resolve": True}},  # no solution
                    {"complaint": {"id": complaint["id"], "resolve": True, "notes": "ok"},
                     "disposition": "x"},
                    {"complaint": {"subject": "Other"}, "complaint_id": complaint["id"]},
                    {"complaint": "resolve it"}):
            refused = await post(json={"call_id": "call-2", "disposition": code, **bad})
            assert refused.status in (400, 409), bad
        theirs = await post(json={"call_id": "theirs", "disposition": code, "complaint": {
            "id": complaint["id"], "resolve": True, "notes": "Refunded"}})
        assert theirs.status == 403
        assert (await asyncio.to_thread(complaints.get, complaint["id"])).status == "new"
        assert (await asyncio.to_thread(interactions.get, "call-2")).disposition is None
        assert len(await asyncio.to_thread(complaints.for_customer, ada.id)) == len(before) + 1

        followed = await post(json={"call_id": "call-2", "disposition": code, "complaint": {
            "id": complaint["id"], "resolve": True, "notes": "Refunded"}})
        assert followed.status == 200
        done = await asyncio.to_thread(complaints.detail, complaint["id"])
        assert (done.complaint.status, done.complaint.solution) == ("resolved", "Refunded")
        assert [(n.body, n.call_id) for n in done.notes] == [("Refunded", "call-2")]
        listed = await (await client.get(f"/api/customers/{ada.id}/complaints")).json()
        assert {c["id"]: c["status"] for c in listed["complaints"]}[complaint["id"]] == (
            "resolved")
    finally:
        await client.close()


async def test_the_wallboard_carries_the_post_call_survey_ratings(console) -> None:
    server, _bus, desk = console
    now = time.time()
    for event in survey_ratings(now):  # as the distributor feeds its metrics
        desk.metrics.record(event)
    client, _csrf = await logged_in(server, "supervisor")
    try:
        board = await (await client.get("/api/wallboard")).json()
    finally:
        await client.close()
    support, sales = board["queues"]["support"], board["queues"]["sales"]
    assert (support["surveys"], support["survey_avg"]) == (2, 3.5)
    assert (sales["surveys"], sales["survey_avg"]) == (0, None)
    assert (board["total"]["surveys"], board["total"]["survey_avg"]) == (2, 3.5)
