"""Complaint management in Debian's Chromium over the whole platform and the PBX simulator:
a complaint opened from a call is resolved on the back-office page, its solution shows in
the next call's pop, and the MIS page's figures match a scripted set of complaints."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page

from contactcenter.acd.events import CallConnected, CallOffered
from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.crm.complaints import Complaints
from contactcenter.crm.customers import Customers
from contactcenter.crm.interactions import Interactions
from contactcenter.sim import CallOutcome, SimCall
from tests.helpers import Clock, next_event

from .conftest import ADA, LivePlatform, signed_in_page

SUBJECT = "Charged twice for November"
SOLUTION = "We refunded the duplicate charge of 42 EUR."


async def answered_call(live: LivePlatform, page: Page) -> SimCall:
    """Ada calls, agent101 (available on `page`) answers."""
    await page.click("#available")
    await page.wait_for_selector("#state >> text=available")
    with live.platform.bus.subscribe() as events:
        call = live.sim.place_call(ADA)
        await next_event(events, CallOffered, lambda e: e.call_id == call.uniqueid)
        await page.wait_for_selector("#customer >> text=Ada Lovelace", timeout=2000)
        await next_event(events, CallConnected, lambda e: e.call_id == call.uniqueid)
    await page.wait_for_selector("#state >> text=on_call")
    return call


@pytest.mark.browser
async def test_a_complaint_from_a_call_through_the_back_office_to_the_next_calls_pop(
        live, browser, tmp_path) -> None:
    db = live.platform.db
    agent = await signed_in_page(browser, live.base, "agent101")
    first = (await answered_call(live, agent)).uniqueid
    # before answering, the pop told of Ada's seeded complaint, long overdue
    alert = agent.locator("#pop-complaints strong", has_text="open complaint #")
    assert "overdue" in await alert.first.inner_text()

    await agent.click("#hangup")
    await agent.wait_for_selector("#call >> text=ended", timeout=2000)
    await agent.select_option("#disposition", index=0)
    await agent.select_option("#complaint", "new")
    await agent.fill("#complaint-subject", SUBJECT)
    await agent.select_option("#complaint-category", "billing")
    await agent.select_option("#complaint-subcategory", "invoice disputed")
    await agent.select_option("#complaint-severity", "high")
    await agent.fill("#complaint-notes", "The November invoice was charged twice.")
    await agent.click("#wrapup button[type=submit]")
    saved = agent.locator("#saved", has_text="Saved, complaint #")
    await saved.wait_for(timeout=2000)
    complaint_id = int((await saved.inner_text()).split("#")[1].split()[0])
    opened = await asyncio.to_thread(Complaints(db).detail, complaint_id)
    assert (opened.complaint.status, opened.complaint.channel, opened.complaint.team) == (
        "new", "call", "billing")
    assert [i.call_id for i in opened.interactions] == [first]

    resolver = await signed_in_page(browser, live.base, "resolver1")  # lands on its queue
    row = resolver.locator(f"#queue tr[data-id='{complaint_id}']")
    await row.wait_for(timeout=3000)
    assert SUBJECT in await row.inner_text()
    await row.click()
    await resolver.wait_for_selector(f"#detail >> text=#{complaint_id} {SUBJECT}")
    await resolver.click("#take")
    await resolver.wait_for_selector("#result >> text=take done, now in progress")
    await resolver.fill("#solution", SOLUTION)
    await resolver.click("#resolve")
    await resolver.wait_for_selector("#result >> text=resolve done, now resolved")
    await resolver.screenshot(path=str(tmp_path / "back-office-1366x768.png"))

    second = await answered_call(live, agent)  # the next call: the solution in its pop
    item = agent.locator("#pop-complaints div", has_text=f"resolved complaint #{complaint_id}")
    await item.get_by_text(f"Solution to tell the customer: {SOLUTION}").wait_for(timeout=2000)
    await agent.screenshot(path=str(tmp_path / "pop-with-solution-1366x768.png"))
    accepts = item.get_by_role("button", name="Customer accepts")
    await accepts.click()
    await accepts.wait_for(state="detached", timeout=2000)  # the answer is recorded
    assert (await asyncio.to_thread(Complaints(db).get, complaint_id)).accepted is True

    await resolver.click(f"#queue tr[data-id='{complaint_id}']")
    await resolver.wait_for_selector("#detail >> text=accepted")
    await resolver.click("#close")
    await resolver.wait_for_selector("#result >> text=close done, now closed")
    done = await asyncio.to_thread(Complaints(db).detail, complaint_id)
    assert (done.complaint.status, done.complaint.solution, done.complaint.accepted) == (
        "closed", SOLUTION, True)
    assert [h.action for h in done.history] == ["open", "take", "resolve", "accept", "close"]
    assert [(h.actor, h.action) for h in done.history][1:3] == [("resolver1", "take"),
                                                                  ("resolver1", "resolve")]
    assert {i.call_id for i in done.interactions} >= {first}
    await agent.click("#hangup")
    assert await asyncio.wait_for(second.wait(), 5) is CallOutcome.ANSWERED


def october(day: int, hour: int) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


# (customer, category, subcategory, severity, received, then [(at, actor, action, inputs)])
SCRIPT = [
    ("Ada Lovelace", "billing", "refund", "high", october(5, 15), [
        (october(5, 16), "resolver1", "take", {}),
        (october(5, 19), "resolver1", "resolve", {"solution": "Refunded"}),
        (october(6, 9), "agent101", "accept", {}), (october(6, 10), "resolver1", "close", {})]),
    ("Ada Lovelace", "service", "outage", "medium", october(6, 15), [
        (october(6, 17), "resolver2", "take", {}),
        (october(7, 15), "resolver2", "resolve", {"solution": "Line repaired"}),
        (october(8, 15), "agent102", "reject", {})]),  # still down: reopened
    ("Grace Hopper", "billing", "invoice disputed", "low", october(12, 15), []),
    ("Grace Hopper", "staff", "rude agent", "high", october(13, 15), [
        (october(13, 18), "resolver2", "take", {})]),
    ("Alan Turing", "billing", "refund", "medium", october(14, 15), [
        (october(14, 16), "resolver1", "take", {}),
        (october(14, 20), "resolver1", "resolve", {"solution": "Refunded"})]),
]


def script(live: LivePlatform) -> None:
    """The complaints above, each step at its own time, through the platform's desk."""
    db, settings = live.platform.db, live.platform.complaints.settings
    for name, category, subcategory, severity, received, steps in SCRIPT:
        customer = Customers(db).search(name)[0]
        clock = Clock(received)
        desk = ComplaintDesk(db, settings, clock)
        complaint = desk.open(desk.draft(subject=f"{category} complaint", category=category,
                                         subcategory=subcategory, severity=severity,
                                         customer_id=customer.id), actor="agent101")
        for at, actor, action, inputs in steps:
            clock.now = at
            desk.act(complaint.id, action, actor=actor, inputs=inputs)


@pytest.mark.browser
async def test_the_mis_page_matches_a_scripted_set_of_complaints(live, browser,
                                                                 tmp_path) -> None:
    await asyncio.to_thread(script, live)
    assert await live.platform.escalator.run_once() >= 3  # the three still open are late
    page = await signed_in_page(browser, live.base, "supervisor")
    await page.goto(f"{live.base}/mis")
    await page.wait_for_selector("#received")
    await page.fill("#from", "2026-10-05")
    await page.fill("#to", "2026-10-16")
    await page.click("#apply")
    await page.wait_for_selector("#received >> text=5")
    tiles = {tile: await page.inner_text(f"#{tile}") for tile in (
        "received", "open", "overdue", "escalated", "reopen-rate", "first-response",
        "resolution")}
    assert tiles == {"received": "5", "open": "3", "overdue": "3", "escalated": "3",
                     "reopen-rate": "33.3 %",
                     "first-response": "1.75 h / 3 h",  # 1, 2, 3 and 1 hours
                     "resolution": "4.5 h / 5 h"}  # 4 and 5 hours
    await page.screenshot(path=str(tmp_path / "mis-1366x768.png"), full_page=True)

    async def bars(chart: str, series: str) -> dict[str, int]:
        found = {}
        for bar in await page.locator(f"#{chart} rect[data-series={series}]").all():
            found[await bar.get_attribute("data-label")] = int(
                await bar.get_attribute("data-value"))
        return found

    received = await bars("chart-day", "received")
    assert {day: n for day, n in received.items() if n} == {
        "2026-10-05": 1, "2026-10-06": 1, "2026-10-12": 1, "2026-10-13": 1, "2026-10-14": 1}
    assert len(received) == 10  # every day from the 5th to the 14th, empty ones too
    assert {day: n for day, n in (await bars("chart-day", "resolved")).items() if n} == {
        "2026-10-05": 1, "2026-10-14": 1}  # the reopened one is no longer resolved
    assert await bars("chart-week", "received") == {"2026-W41": 2, "2026-W42": 3}
    assert await bars("chart-week", "resolved") == {"2026-W41": 1, "2026-W42": 1}
    assert (await bars("chart-age", "open"))["over 30 days"] == 3
    assert await bars("chart-category", "open") == {"billing": 1, "service": 1, "staff": 1}
    assert await bars("chart-team", "open") == {"billing": 1, "customer-care": 1,
                                                "support": 1}
    assert await page.locator("#top-categories tr").all_inner_texts() == [
        "billing\t3", "service\t1", "staff\t1"]
    assert await page.locator("#repeat-customers tr").all_inner_texts() == [
        "Ada Lovelace\t2", "Grace Hopper\t2"]
    assert "Escalation checked" in await page.inner_text("#escalation")

    await page.select_option("#team", "billing")
    await page.click("#apply")
    await page.wait_for_selector("#received >> text=3")
    export = await page.request.get(live.base + (await page.get_attribute("#export", "href")
                                                 or ""))
    rows = list(csv.DictReader(io.StringIO(await export.text())))
    assert sorted((r["customer"], r["status"]) for r in rows) == [
        ("Ada Lovelace", "closed"), ("Alan Turing", "resolved"), ("Grace Hopper", "new")]
    assert {r["escalated_to"] for r in rows if r["status"] == "new"} == {"supervisors"}


@pytest.mark.browser
async def test_the_customer_page_lists_opens_and_follows_up_complaints(console, db, browser,
                                                                      tmp_path) -> None:
    server, _bus, _desk = console
    base = str(server.make_url("")).rstrip("/")
    ada = (await asyncio.to_thread(Customers(db).search, "Ada Lovelace"))[0]
    await asyncio.to_thread(Interactions(db).track, "ada-1", {"customer_id": ada.id,
                                                              "agent_id": "agent101"})
    page = await signed_in_page(browser, base, "agent101")
    await page.goto(f"{base}/customer?id={ada.id}")
    seeded = page.locator("#complaints tr", has_text="Invoice disputed")
    await seeded.wait_for(timeout=3000)
    assert "resolution overdue" in await seeded.inner_text()  # due weeks ago

    await page.fill("#subject", "Letter about the late refund")
    await page.select_option("#category", "billing")
    await page.select_option("#subcategory", "refund")
    await page.select_option("#severity", "medium")
    await page.select_option("#channel", "letter")
    await page.fill("#description", "Her letter of 2 November.")
    await page.click("#new-complaint button[type=submit]")
    opened = page.locator("#opened", has_text="Opened complaint #")
    await opened.wait_for(timeout=2000)
    complaint_id = int((await opened.inner_text()).split("#")[1])
    await page.wait_for_selector(f"#detail >> text=#{complaint_id} Letter about the late refund")
    await page.fill("#front-office .note", "She phoned to ask where it is.")
    await page.click("#front-office .add-note")
    await page.wait_for_selector("#thread >> text=agent101: She phoned to ask where it is.")
    await page.screenshot(path=str(tmp_path / "customer-1366x768.png"))
    detail = await asyncio.to_thread(Complaints(db).detail, complaint_id)
    assert (detail.complaint.channel, detail.complaint.team, detail.complaint.status) == (
        "letter", "billing", "new")
    assert [n.body for n in detail.notes] == ["She phoned to ask where it is."]

    stranger = await asyncio.to_thread(Customers(db).create, name="Zed Stranger")
    await page.goto(f"{base}/customer?id={stranger.id}")  # nobody agent101 served
    await page.wait_for_selector("#refused >> text=not one of yours")
