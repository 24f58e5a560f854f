"""The supervisor's wallboard in Debian's Chromium: updated by push (never a request for
/api/wallboard), back after the server drops its socket, with occupancy and short
abandons beside the other figures."""

from __future__ import annotations

import time

import pytest

from contactcenter.acd.events import AgentStateChanged, CallEnded, CallOutcome
from contactcenter.agent_console.app import PUSHER
from tests.helpers import eventually

from .conftest import signed_in_page


@pytest.mark.browser
async def test_the_page_is_pushed_to_survives_a_dropped_socket_and_never_polls(
        console, browser, tmp_path) -> None:
    server, bus, desk = console
    page = await signed_in_page(browser, str(server.make_url("")).rstrip("/"), "supervisor")
    requests: list[str] = []
    sockets: list[object] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("websocket", lambda ws: sockets.append(ws))
    await page.wait_for_selector("#live >> text=live")
    agent102 = page.locator("#agents tr[data-agent=agent102] td")

    with bus.subscribe() as events:
        await desk.login("agent102")
        published = events.get_nowait()
    assert isinstance(published, AgentStateChanged)
    await agent102.filter(has_text="available").wait_for(timeout=1000)
    assert time.time() - published.at < 1.0

    pusher = server.app[PUSHER]
    await pusher.close()  # the server drops every supervisor's socket
    await eventually(lambda: len(pusher.sockets) == 1)  # the page came back and subscribed
    await page.wait_for_selector("#live >> text=live")
    await desk.pause("agent102", "coffee")
    await agent102.filter(has_text="paused (coffee)").wait_for(timeout=1000)
    short = CallEnded("s1", "support", CallOutcome.ABANDONED, None, 2.0, 0.0, time.time())
    desk.metrics.record(short)  # as the distributor publishes its own events
    bus.publish(short)
    support = page.locator("#queues tr", has_text="support").locator("td")
    header = await page.locator("table:has(#queues) thead th").all_inner_texts()
    await support.nth(header.index("Short abandons")).filter(has_text="1").wait_for(
        timeout=1000)  # counted apart ...
    assert await support.nth(header.index("Abandoned")).inner_text() == "0"  # ... not here
    assert await support.nth(header.index("Occupancy")).inner_text() == "0 %"
    await page.screenshot(path=str(tmp_path / "wallboard-pushed-1366x768.png"))

    assert len(sockets) == 2  # the first socket and the one after the drop
    assert not [url for url in requests if "/api/wallboard" in url]  # no polling
