"""The reports page in Debian's Chromium over the scripted day: line charts drawn in SVG
(a point per interval), the table, the CSV download, the staffing table and the what-if."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.async_api import expect

from .conftest import signed_in_page


async def cells(page, column: str) -> list[str]:  # type: ignore[no-untyped-def]
    header = await page.locator("#head th").all_inner_texts()
    index = header.index(column)
    return [await row.locator("td").nth(index).inner_text()
            for row in await page.locator("#rows tr").all()]


@pytest.mark.browser
async def test_the_reports_page_charts_tables_and_plans(reports, browser,
                                                         tmp_path) -> None:
    server, _bus, _desk = reports
    page = await signed_in_page(browser, str(server.make_url("")).rstrip("/"), "supervisor")
    await page.goto(str(server.make_url("/reports")))
    await page.wait_for_selector("#staffing tr[data-queue=support]")
    await page.wait_for_selector("#head th")  # today's report is in: no answer to overtake
    await page.fill("#from", "2026-03-02")
    await page.fill("#to", "2026-03-02")
    await page.select_option("#interval", "60m")
    await page.click("#apply")
    await expect(page.locator("#rows tr")).to_have_count(24)  # the day in hours
    offered = [int(text) for text in await cells(page, "Offered")]
    assert sum(offered) == 8 and max(offered) == 8  # the scripted hour, all queues together
    lines = page.locator("#chart-calls svg path")
    assert await lines.evaluate_all("paths => paths.map(p => p.dataset.series)") == [
        "offered", "answered", "abandoned"]
    assert await page.locator("#chart-calls svg circle[data-series=offered]").count() == 24
    href = await page.get_attribute("#export", "href")
    assert href.startswith("/api/reports/queues.csv?interval=60m")
    download = await page.request.get(str(server.make_url(href)))
    assert sum(int(line["offered"]) for line in csv.DictReader(io.StringIO(
        await download.text()))) == 8
    await page.screenshot(path=str(tmp_path / "reports-queues-1366x768.png"), full_page=True)

    await page.select_option("#kind", "agents")
    await page.wait_for_selector("#head >> text=Time by state")
    assert await page.locator("#chart-rates svg path").evaluate_all(
        "paths => paths.map(p => p.dataset.series)") == ["agent101", "agent102"]
    assert any("lunch 1445 s" in text for text in await cells(page, "Paused by reason"))

    await page.click("#what-if button")
    await page.wait_for_selector("#what-if-result >> text=14 agents: 88.8 % answered in time")
    await page.fill("#target-pct", "90")  # 14 agents answer 88.8 % in time: one more
    await page.click("#what-if button")
    await page.wait_for_selector("#what-if-result >> text=15 agents")
    assert await page.locator("#staffing tr").count() == 4
    await page.screenshot(path=str(tmp_path / "reports-agents-1366x768.png"), full_page=True)
