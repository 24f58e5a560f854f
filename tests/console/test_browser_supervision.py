"""The supervisor's hands on live calls in Debian's Chromium, over the whole platform and
the simulator: listen, then whisper, then barge on one ChanSpy, and stop, from the page
(the simulator sees the spy leg in each mode; the session lands in the admins' audit);
"why this agent?" on the call; a waiting call moved and reprioritised from the
calls-in-queue list, the act shown."""

from __future__ import annotations

import asyncio

import pytest

from contactcenter.acd.events import CallQueued, MonitorEnded
from contactcenter.crm.supervision import Supervision
from contactcenter.crm.users import Users
from tests.helpers import eventually

from .conftest import (
    ADA,
    SUPERVISOR_PHONE,
    connected_call,
    next_event,
    signed_in,
    signed_in_page,
)


@pytest.mark.browser
async def test_listen_whisper_barge_and_stop_from_the_page(live, browser, tmp_path) -> None:
    await asyncio.to_thread(Users(live.platform.db).update, "supervisor",
                            device=SUPERVISOR_PHONE)
    with live.platform.bus.subscribe() as events:
        async with signed_in(live, "agent101") as agent:
            call, leg = await connected_call(live, agent, events)
            page = await signed_in_page(browser, live.base, "supervisor")
            row = page.locator("#agents tr[data-agent=agent101]")
            await row.locator("td", has_text="on_call").wait_for(timeout=3000)
            await row.get_by_role("button", name="Listen").click()
            await page.locator("#monitor", has_text="Monitoring agent101: listen").wait_for(
                timeout=3000)
            (spy,) = live.sim.spies
            assert (spy.spyee, spy.spying, spy.modes) == (leg, True, ["listen"])
            for mode in ("whisper", "barge"):
                await page.click(f"#spy-{mode}")
                await page.locator("#monitor", has_text=f"agent101: {mode}").wait_for(
                    timeout=3000)
                await eventually(lambda m=mode: spy.modes[-1] == m)
            assert await page.locator("#spy-barge").is_disabled()  # the mode it is in
            await row.get_by_role("button", name="Why?").click()
            await page.locator("#why", has_text=f"Call {call.uniqueid} (support) went to "
                                                 "agent101").wait_for(timeout=3000)
            await page.locator("#why li", has_text="agent102: not eligible").wait_for()
            await page.screenshot(path=str(tmp_path / "monitoring-barge-1366x768.png"))
            await page.click("#spy-stop")
            await page.locator("#monitor", has_text="Not monitoring").wait_for(timeout=3000)
            ended = await next_event(events, MonitorEnded)
    assert spy.modes == ["listen", "whisper", "barge"] and not spy.spying
    assert (ended.reason, ended.supervisor) == ("stopped", "supervisor")
    assert not live.sim.is_alive(spy.spyer) and live.sim.is_alive(call.channel)
    supervision = Supervision(live.platform.db)
    await eventually(supervision.sessions)
    (audited,) = supervision.sessions()
    assert [mode for mode, _ in audited.modes] == ["listen", "whisper", "barge"]
    admin = await signed_in_page(browser, live.base, "admin")
    await admin.locator("#sessions tr", has_text="listen → whisper → barge").locator(
        "td", has_text="agent101").wait_for(timeout=3000)
    assert await admin.locator("#sessions tr td").nth(6).inner_text() == "stopped"


@pytest.mark.browser
async def test_a_waiting_call_is_moved_and_reprioritised_from_the_page(live, browser) -> None:
    desk = live.platform.distributor
    await desk.login("agent101")  # staffed (a queue nobody staffs clears its callers), busy
    await desk.pause("agent101", "coffee")
    with live.platform.bus.subscribe() as events:
        call = live.sim.place_call(ADA)  # it waits in support
        await next_event(events, CallQueued)
        page = await signed_in_page(browser, live.base, "supervisor")
        row = page.locator(f"#calls tr[data-call='{call.uniqueid}']")
        await row.get_by_role("button", name="Move / priority").click()
        await page.select_option("#change-queue", "sales")
        await page.fill("#change-priority", "4")
        await page.click("#change-apply")
        await page.locator("#change-result", has_text="queue sales, priority 4").wait_for(
            timeout=3000)
        await row.locator("td", has_text="sales").wait_for(timeout=3000)  # pushed
        variables = live.sim.pbx.channels[call.channel].variables
        assert (variables["CC_QUEUE"], variables["CC_PRIORITY"]) == ("sales", "4")
        await page.locator("#acts tr", has_text="queue support → sales, priority 0 → 4") \
            .locator("td", has_text="supervisor").wait_for(timeout=3000)
