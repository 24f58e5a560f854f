"""The console in Debian's real Chromium at 1366x768, driven by real calls: the PBX
simulator places them through the whole platform (FastAGI IVR, AMI, ACD, CRM); the
supervisor's wallboard shows what those calls did."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime, timedelta

import pytest

from contactcenter.acd.events import CallConnected, CallEnded, CallOffered
from contactcenter.crm.complaints import Complaints
from contactcenter.crm.customers import Customers
from contactcenter.crm.interactions import Interactions
from contactcenter.sim import CallOutcome, Speech
from tests.helpers import eventually, next_event

from .conftest import (
    ADA,
    TRANSFER_TARGET,
    connected_call,
    signed_in,
    signed_in_page,
    survey_ratings,
)


@pytest.mark.browser
async def test_a_simulated_call_pops_the_caller_then_the_agent_hangs_up_and_wraps_up(
        live, browser, tmp_path) -> None:
    db = live.platform.db
    ada = (await asyncio.to_thread(Customers(db).search, "Ada Lovelace"))[0]
    history, yesterday = Interactions(db), datetime.now(UTC) - timedelta(days=1)
    await asyncio.to_thread(history.track, "yesterday", {
        "customer_id": ada.id, "state": "ended", "outcome": "answered",
        "entered_at": yesterday})
    await asyncio.to_thread(history.rate, "yesterday", 4)  # her post-call survey
    page = await signed_in_page(browser, live.base, "agent101")
    await page.click("#available")
    await page.wait_for_selector("#state >> text=available")
    with live.platform.bus.subscribe() as events:
        call = live.sim.place_call(ADA)
        offer = await next_event(events, CallOffered)
        assert (offer.call_id, offer.agent_id) == (call.uniqueid, "agent101")
        # the CRM's record: her history (the offer's own pop has her name already, from
        # the IVR's lookup, so waiting for the name alone would race the record)
        await page.wait_for_selector(
            f"#customer >> text={yesterday.isoformat()[:16]} answered, rated 4/5", timeout=1000)
        assert time.time() - offer.at < 1.0
        assert "main:menu → main:support" in await page.inner_text("#customer")
        await next_event(events, CallConnected)
    await page.wait_for_selector("#state >> text=on_call")
    await page.screenshot(path=str(tmp_path / "agent-1366x768.png"))

    await page.click("#hangup")
    assert await asyncio.wait_for(call.wait(), 5) is CallOutcome.ANSWERED
    await page.wait_for_selector("#call >> text=ended", timeout=2000)
    await page.select_option("#disposition", index=0)
    code = await page.input_value("#disposition")
    await page.fill("#notes", "asked about an invoice")
    disputed = next(c for c in await asyncio.to_thread(Complaints(db).for_customer, ada.id)
                    if c.status == "new")
    await page.select_option("#complaint", str(disputed.id))  # her complaint, from the pop
    assert await page.input_value("#complaint-subject") == disputed.subject
    await page.check("#complaint-resolve")
    await page.fill("#complaint-notes", "refund sent")
    await page.click("#wrapup button[type=submit]")
    await page.wait_for_selector(f"#saved >> text=Saved, complaint #{disputed.id} resolved",
                                 timeout=2000)

    record = await asyncio.to_thread(Interactions(db).get, call.uniqueid)
    resolved = await asyncio.to_thread(Complaints(db).detail, disputed.id)
    assert (resolved.complaint.status, resolved.complaint.solution) == ("resolved",
                                                                        "refund sent")
    assert [(n.body, n.call_id) for n in resolved.notes] == [("refund sent", call.uniqueid)]
    assert record.complaint_id == disputed.id
    assert (record.disposition, record.notes) == (code, "asked about an invoice")
    assert (record.customer_id, record.agent_id, record.outcome) == (ada.id, "agent101",
                                                                     "answered")
    assert record.talk_s and record.talk_s > 0


@pytest.mark.browser
async def test_supervisor_sees_the_wallboard_and_forces_a_pause(console, browser,
                                                                tmp_path) -> None:
    server, _bus, desk = console
    await desk.login("agent102")
    page = await signed_in_page(browser, str(server.make_url("")).rstrip("/"), "supervisor")
    await page.wait_for_selector("#queues >> text=support")
    await page.fill("#agent", "agent102")
    await page.click("#force-pause")
    await page.wait_for_selector("#result >> text=agent102: paused", timeout=2000)
    await page.wait_for_selector("#queues >> text=paused 1", timeout=3000)
    row = page.locator("#agents tr[data-agent=agent102]")
    await row.locator("td", has_text="paused (supervisor supervisor)").wait_for(timeout=3000)
    await page.screenshot(path=str(tmp_path / "supervisor-1366x768.png"))
    assert (await desk.agent_view("agent102"))["state"] == "paused"
    await row.get_by_role("button", name="Log out").click()  # or from the agent's own row
    await row.locator("td", has_text="logged_out").wait_for(timeout=3000)
    assert (await desk.agent_view("agent102"))["state"] == "logged_out"


@pytest.mark.browser
async def test_the_supervisor_sees_each_queue_s_survey_rating(console, browser,
                                                             tmp_path) -> None:
    server, _bus, desk = console
    for event in survey_ratings(time.time()):  # as the distributor feeds its metrics
        desk.metrics.record(event)
    page = await signed_in_page(browser, str(server.make_url("")).rstrip("/"), "supervisor")
    header = await page.locator("table:has(#queues) thead th").all_inner_texts()
    rating = header.index("Rating")
    support = page.locator("#queues tr", has_text="support").locator("td")
    await support.nth(rating).filter(has_text="3.5 (2)").wait_for(timeout=3000)
    sales = page.locator("#queues tr", has_text="sales").locator("td")
    assert await sales.nth(rating).inner_text() == "–"
    assert (await page.locator("#total td").all_inner_texts())[rating] == "3.5 (2)"
    await page.screenshot(path=str(tmp_path / "survey-ratings-1366x768.png"))


@pytest.mark.browser
async def test_the_agent_holds_transfers_and_dials_out_from_the_page(live, browser,
                                                                     tmp_path) -> None:
    page = await signed_in_page(browser, live.base, "agent101")
    await page.click("#available")
    await page.wait_for_selector("#state >> text=available")
    with live.platform.bus.subscribe() as events:
        call = live.sim.place_call(ADA)
        await next_event(events, CallConnected)
    leg = live.sim.channels[call.channel].bridged_with
    await page.click("#hold")
    await page.wait_for_selector("#call-status >> text=On hold")
    assert live.sim.channels[call.channel].on_hold
    await page.screenshot(path=str(tmp_path / "agent-on-hold-1366x768.png"))
    await page.click("#resume")
    await page.wait_for_selector("#hold", state="visible")
    assert live.sim.channels[call.channel].bridged_with == leg

    await page.fill("#target", TRANSFER_TARGET)
    await page.click("#transfer")
    await page.wait_for_selector("#state >> text=wrap_up")
    await page.wait_for_function("document.getElementById('call').textContent.includes('ended')")
    assert [t.number for t in live.sim.transfers] == [TRANSFER_TARGET]
    assert not live.sim.is_alive(leg)

    await page.fill("#q", "Lovelace")
    await page.click("#search")
    await page.click(f"#results >> text=Call {ADA.number}")
    await page.wait_for_selector(f"#dialled >> text=Dialling {ADA.number}")
    await page.wait_for_selector("#state >> text=paused")
    await eventually(lambda: live.sim.callbacks)
    assert live.sim.callbacks[0].caller.number == ADA.number


@pytest.mark.browser
async def test_the_wallboard_shows_service_level_abandon_rate_asa_and_aht(live, browser,
                                                                          tmp_path) -> None:
    async with signed_in(live, "agent101") as agent:
        with live.platform.bus.subscribe() as events:
            call, _leg = await connected_call(live, agent, events)
            assert (await agent.post("/api/hangup"))[0] == 200
            await next_event(events, CallEnded, lambda e: e.call_id == call.uniqueid)
            await eventually(lambda: live.platform.distributor.current_call("agent101") is None)
            assert (await agent.post("/api/state", {"state": "available"}))[0] == 200
    board = await live.platform.distributor.wallboard()
    support = board["queues"]["support"]
    assert (support["service_level_pct"], support["abandon_rate_pct"]) == (100.0, 0.0)

    page = await signed_in_page(browser, live.base, "supervisor")
    row = page.locator("#queues tr", has_text="support")
    await row.locator("td", has_text="100 %").wait_for(timeout=3000)
    cells = await row.locator("td").all_inner_texts()
    assert support["asa_s"] < 10 and support["aht_s"] < 10  # shown to a tenth of a second
    assert cells[:5] + cells[7:9] == ["support", "0", "0.0 s", "100 %", "0 %", "1", "0"]
    for cell, seconds in zip(cells[5:7], (support["asa_s"], support["aht_s"]), strict=True):
        assert cell.endswith(" s") and abs(float(cell[:-2]) - seconds) <= 0.051, cell
    assert await row.locator("td").nth(3).get_attribute("title") == "answered within 60 s"
    total = await page.locator("#total td").all_inner_texts()
    assert total[:5] == ["All queues", "0", "0.0 s", "100 %", "0 %"]
    await page.screenshot(path=str(tmp_path / "wallboard-1366x768.png"))


@pytest.mark.browser
async def test_a_caller_who_says_what_they_need_pops_with_caller_said(live, browser,
                                                                      speak) -> None:
    """Real audio all the way: the simulator streams espeak-ng over AudioSocket, the
    platform's pocketsphinx hears the menu choice, and the agent reads what was said."""
    page = await signed_in_page(browser, live.base, "agent101")
    await page.click("#available")
    await page.wait_for_selector("#state >> text=available")
    caller = dataclasses.replace(ADA, answers=(Speech(speak("technical support")),))
    with live.platform.bus.subscribe() as events:
        live.sim.place_call(caller)
        offer = await next_event(events, CallOffered)
        assert offer.queue == "support"
        await page.wait_for_selector("#customer >> text=Caller said", timeout=2000)
    assert "“technical support”" in await page.inner_text("#customer")
