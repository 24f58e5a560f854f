"""The agent page in Debian's real Chromium: log in, go available, see the right customer
pop within a second of the offer, see the call end, save a disposition into the CRM."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import async_playwright

from contactcenter.acd.events import CallEnded, CallOffered
from contactcenter.crm.interactions import Interactions
from contactcenter.cti.interactions import InteractionRecorder
from contactcenter.cti.screenpop import ScreenPopper

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
async def test_agent_sees_the_callers_record_then_saves_a_disposition(console, db,
                                                                      tmp_path) -> None:
    server, bus, desk = console
    base = str(server.make_url("")).rstrip("/")
    async with ScreenPopper(bus, db), InteractionRecorder(bus, db), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium",
                                           args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1366, "height": 768})
            await page.goto(f"{base}/login")
            await page.fill("input[name=username]", "agent101")
            await page.fill("input[name=password]", "agent101-demo")
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/agent")
            await page.click("#login")
            await page.click("#available")
            await page.wait_for_function(
                "document.getElementById('state').textContent === 'available'")
            assert (await desk.agent_view("agent101"))["state"] == "available"

            offered = time.monotonic()
            bus.publish(CallOffered("call-ada", "agent101", "support", time.time(),
                                    caller_num="+14155550123", entered_at=time.time() - 12,
                                    fields={"reason": "billing"}, ivr_path="main,support"))
            await page.wait_for_selector("#customer >> text=Ada Lovelace", timeout=1000)
            assert time.monotonic() - offered < 1.0
            assert "main → support" in await page.inner_text("#customer")
            await page.screenshot(path=str(tmp_path / "agent-1366x768.png"))

            bus.publish(CallEnded("call-ada", "support", "answered", agent_id="agent101",
                                  talk_s=30.0, at=time.time()))
            await page.wait_for_selector("#call >> text=ended", timeout=2000)
            await page.select_option("#disposition", index=0)
            code = await page.input_value("#disposition")
            await page.fill("#notes", "asked about an invoice")
            await page.click("#wrapup button[type=submit]")
            await page.wait_for_selector("#saved >> text=Saved", timeout=2000)
        finally:
            await browser.close()
    record = await asyncio.to_thread(Interactions(db).get, "call-ada")
    assert (record.disposition, record.notes) == (code, "asked about an invoice")
    assert record.customer_id is not None


@pytest.mark.browser
async def test_supervisor_sees_the_wallboard_and_forces_a_pause(console, tmp_path) -> None:
    server, _bus, desk = console
    await desk.login("agent102")
    base = str(server.make_url("")).rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium",
                                           args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1366, "height": 768})
            await page.goto(f"{base}/login")
            await page.fill("input[name=username]", "supervisor")
            await page.fill("input[name=password]", "supervisor-demo")
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/supervisor")
            await page.wait_for_selector("#queues >> text=support")
            await page.fill("#agent", "agent102")
            await page.click("#force-pause")
            await page.wait_for_selector("#result >> text=agent102: paused", timeout=2000)
            await page.wait_for_selector("#queues >> text=paused 1", timeout=3000)
            await page.screenshot(path=str(tmp_path / "supervisor-1366x768.png"))
        finally:
            await browser.close()
    assert (await desk.agent_view("agent102"))["state"] == "paused"
