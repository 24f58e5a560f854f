"""The pop's life on the agent page in Debian's Chromium, over the simulator and the whole
platform: on screen with the ring even when the phone answers at once and the CRM is
slow; gone (also after a reload) when the offer ends unanswered."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from contactcenter.acd.events import CallOffered
from contactcenter.crm_link import screenpop
from contactcenter.sim import ScriptedAgent
from tests.helpers import eventually, next_event

from .conftest import ADA, FLOWS, live_platform, signed_in_page

NOBODY_PICKS_UP = ScriptedAgent(answer_after=None, talk_seconds=None)
PICKS_UP_AT_ONCE = ScriptedAgent(answer_after=0.01, talk_seconds=None)


def flows_ringing_for(tmp_path: Path, seconds: float) -> Path:
    """The shipped flows, with the support queue's ring timeout cut to `seconds`."""
    flows = shutil.copytree(FLOWS, tmp_path / "flows")
    yaml = YAML()
    queues = yaml.load(flows / "queues.yaml")
    queues["queues"]["support"]["ring_timeout_seconds"] = seconds
    yaml.dump(queues, flows / "queues.yaml")
    return flows


@pytest.mark.browser
@pytest.mark.parametrize(("ending", "then"), [("ring-no-answer", "paused"),
                                              ("caller hangs up", "available")])
async def test_the_pop_leaves_the_page_when_the_offer_ends_unanswered(
        db_url, tmp_path, browser, ending, then) -> None:
    async with live_platform(db_url, tmp_path, phone=NOBODY_PICKS_UP,
                             flows=flows_ringing_for(tmp_path, 2.0)) as live:
        page = await signed_in_page(browser, live.base, "agent101")
        await page.click("#available")
        await page.wait_for_selector("#state >> text=available")
        with live.platform.bus.subscribe() as events:
            call = live.sim.place_call(ADA)
            await next_event(events, CallOffered, lambda e: e.call_id == call.uniqueid)
        await page.wait_for_selector("#customer >> text=Ada Lovelace")
        assert await page.text_content("#state") == "offered"
        if ending == "caller hangs up":
            live.sim.hangup(call.channel, 16)  # while agent101's phone still rings
        await page.wait_for_selector(f"#state >> text={then}", timeout=5000)
        await page.wait_for_selector("#customer >> text=Waiting for a call…", timeout=1000)
        assert await page.text_content("#call") == "No call"

        await page.reload()
        await page.wait_for_selector(f"#state >> text={then}")
        view = await page.evaluate("fetch('/api/agent').then(r => r.json())")
        assert view["pop"] is None
        assert "Ada Lovelace" not in await page.inner_text("#customer")
        await page.close()  # before the console stops: it would wait for the page's socket


@pytest.mark.browser
async def test_a_phone_that_answers_at_once_has_the_pop_before_on_call_with_a_slow_crm(
        db_url, tmp_path, browser, monkeypatch) -> None:
    def slow_crm(*args, **kwargs):
        time.sleep(1.0)  # a busy CRM; it runs in the popper's worker thread
        return read_profiles(*args, **kwargs)

    read_profiles = screenpop.caller_profiles
    monkeypatch.setattr(screenpop, "caller_profiles", slow_crm)
    async with live_platform(db_url, tmp_path, phone=PICKS_UP_AT_ONCE) as live:
        page = await signed_in_page(browser, live.base, "agent101")
        frames: list[dict] = []
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: frames.append(json.loads(payload))))
        await page.reload()  # its websocket, opened again, is now watched
        await page.click("#available")
        await page.wait_for_selector("#state >> text=available")
        call = live.sim.place_call(ADA)
        await page.wait_for_selector("#state >> text=on_call", timeout=5000)
        assert f"Call from {ADA.number} (support)" in await page.inner_text("#call")
        assert "Looking up…" in await page.inner_text("#customer")
        await page.wait_for_selector("#customer >> text=Ada Lovelace", timeout=3000)

        def seen() -> list[tuple[str, str]]:  # this call's messages, in the page's order
            return [(f["type"], f["payload"]["lookup"] if f["type"] == "pop" else f.get("state"))
                    for f in frames if f.get("call_id") == call.uniqueid]

        await eventually(lambda: ("pop", "done") in seen())  # Playwright reports frames late
        assert seen().index(("pop", "pending")) < seen().index(("state", "on_call")) \
            < seen().index(("pop", "done")), seen()
        await page.close()
