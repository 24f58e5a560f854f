"""Screen pop benchmark: N agents each hold a console websocket while calls are offered at
`rate` per second, one per agent in turn; the latencies are offer published -> that agent's
first pop (what the offer says, sent with the ring) and -> the pop with the CRM record,
received on its websocket, through the real ScreenPopper (CRM lookup in a seeded SQLite)
and the console. Meanwhile one more agent's console is open in a real Chromium (headless,
Debian's /usr/bin/chromium) and is offered a call every `browser_every` seconds: offer ->
the customer record drawn on screen.

    .venv/bin/python bench/screenpop.py [--agents 2000] [--rate 200] [--seconds 10]
                                        [--browser-calls 100] [--json]

The page's time: a MutationObserver on the pop sees the customer's name, waits for the
next animation frame and posts a message, which runs once that frame is painted; it notes
performance.timeOrigin + performance.now() (wall-clock ms). The bench notes time.time()
as it publishes the offer. The two clocks are the same host's, aligned by the round trip
of page.evaluate with the smallest delay (offset = page time - the round trip's middle);
clock_uncertainty_ms is half that round trip.

Prints agents, offers, p50_ms, p99_ms (first pop), crm_p50_ms, crm_p99_ms (CRM record),
browser_p50_ms, browser_p99_ms (CRM record drawn), clock_uncertainty_ms, load_avg_1m.
Goal: 2,000 agents, p99_ms <= 50, browser_p99_ms <= 100.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, ClientWebSocketResponse, web  # noqa: E402
from playwright.async_api import Browser, Page, async_playwright  # noqa: E402

from contactcenter.acd.agents import AgentProfile  # noqa: E402
from contactcenter.acd.distributor import Distributor  # noqa: E402
from contactcenter.acd.events import CallOffered  # noqa: E402
from contactcenter.agent_console.app import COOKIE, DB, SESSIONS, create_app  # noqa: E402
from contactcenter.complaints.config import load_settings  # noqa: E402
from contactcenter.complaints.desk import ComplaintDesk  # noqa: E402
from contactcenter.crm.database import Database  # noqa: E402
from contactcenter.crm.models import UserRow  # noqa: E402
from contactcenter.crm.seed import seed  # noqa: E402
from contactcenter.crm_link.screenpop import ScreenPopper  # noqa: E402
from contactcenter.events import EventBus  # noqa: E402
from contactcenter.queue.memory_store import MemoryStore  # noqa: E402

FLOWS = Path(__file__).resolve().parent.parent / "flows"
KNOWN_CALLER, KNOWN_NAME = "+14155550123", "Ada Lovelace"  # a seeded customer
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BROWSER_AGENT = "browser"
# Notes when the customer's name is on screen: the frame after the change, once painted.
WATCH_POPS = """name => {
  window.drawn = {};
  const box = document.getElementById("customer");
  new MutationObserver(() => {
    const call = currentCall;
    if (!box.textContent.includes(name) || call in window.drawn) return;
    window.drawn[call] = null;
    requestAnimationFrame(() => {
      const after = new MessageChannel();
      after.port1.onmessage = () => {
        window.drawn[call] = performance.timeOrigin + performance.now();
      };
      after.port2.postMessage(0);
    });
  }).observe(box, {childList: true, subtree: true, characterData: true});
}"""


def offer(bus: EventBus, call_id: str, agent: str, caller: str) -> float:
    """Publish the offer; the wall-clock time it was published."""
    now = time.time()
    bus.publish(CallOffered(call_id, agent, "support", now, caller_num=caller,
                            entered_at=now - 5))
    return now


async def run(agents: int, rate: float, seconds: float, browser_calls: int,
              work: Path) -> dict[str, object]:
    db = Database.open(f"sqlite:///{work}/crm.db")
    seed(db)
    bus = EventBus()
    # No call is ever originated here, so the distributor needs no PBX link.
    async with Distributor(MemoryStore(), None, bus) as desk:  # type: ignore[arg-type]
        await desk.register_agent(AgentProfile(BROWSER_AGENT, "SIP/browser", {"support": 0}))
        app = create_app(desk=desk, db=db, bus=bus,
                         complaints=ComplaintDesk(db, load_settings(FLOWS / "complaints.yaml")))
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        names = [f"bench{i:04d}" for i in range(agents)]
        with app[DB].session() as rows:  # a session needs its user (auth.py re-reads it)
            rows.add_all(UserRow(username=name, password_hash="-", role="agent")
                         for name in [*names, BROWSER_AGENT])
        try:
            async with ScreenPopper(bus, db), async_playwright() as pw:
                chromium = await pw.chromium.launch(executable_path="/usr/bin/chromium",
                                                    args=CHROMIUM_ARGS)
                try:
                    page = await console_page(chromium, app, base)
                    skew, uncertainty = await clock_offset(page)
                    sockets = await connect(app, base, names)
                    try:
                        pops, drawn = await asyncio.gather(
                            offer_at_rate(bus, sockets, rate, seconds),
                            browser_pops(bus, page, browser_calls, seconds, skew))
                    finally:
                        for http, ws in sockets.values():
                            await ws.close()
                            await http.close()
                finally:
                    await chromium.close()
        finally:
            await runner.cleanup()
    db.close()
    first, crm = zip(*pops, strict=True)
    return {"agents": agents, "offers": len(pops), **percentiles("", first),
            **percentiles("crm_", crm), **percentiles("browser_", drawn),
            "clock_uncertainty_ms": round(uncertainty * 1000, 2),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def percentiles(prefix: str, seconds: tuple[float, ...] | list[float]) -> dict[str, float]:
    ms = sorted(latency * 1000 for latency in seconds)
    return {f"{prefix}p50_ms": round(statistics.median(ms), 2),
            f"{prefix}p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2)}


async def console_page(chromium: Browser, app: web.Application, base: str) -> Page:
    """The browser agent's console, signed in by its session cookie, watching its pops."""
    context = await chromium.new_context(viewport={"width": 1366, "height": 768})
    session = app[SESSIONS].create(BROWSER_AGENT, "agent")
    await context.add_cookies([{"name": COOKIE, "value": session.sid, "url": base}])
    page = await context.new_page()
    await page.goto(f"{base}/")
    await page.wait_for_function("() => typeof currentCall !== 'undefined'")
    await page.evaluate(WATCH_POPS, KNOWN_NAME)
    return page


async def clock_offset(page: Page, rounds: int = 20) -> tuple[float, float]:
    """(page clock - time.time(), half the round trip it was read in), in seconds, from
    the quickest of `rounds` reads."""
    reads = []
    for _ in range(rounds):
        before = time.time()
        page_ms = await page.evaluate("() => performance.timeOrigin + performance.now()")
        after = time.time()
        reads.append((after - before, page_ms / 1000 - (before + after) / 2))
    trip, skew = min(reads)
    return skew, trip / 2


async def connect(app: web.Application, base: str,
                  names: list[str]) -> dict[str, tuple[ClientSession, ClientWebSocketResponse]]:
    sockets = {}
    for name in names:
        session = app[SESSIONS].create(name, "agent")
        http = ClientSession(cookies={COOKIE: session.sid})
        sockets[name] = (http, await http.ws_connect(f"{base}/ws"))
    return sockets


async def offer_at_rate(bus: EventBus, sockets: dict[str, tuple[ClientSession,
                                                                ClientWebSocketResponse]],
                        rate: float, seconds: float) -> list[tuple[float, float]]:
    """One call per agent in turn, `rate` a second for `seconds` (each agent once at
    most): (first pop, CRM pop) latencies of each."""
    start = time.perf_counter()
    offered: dict[str, float] = {}
    readers = []
    for n, name in zip(range(int(rate * seconds)), itertools.cycle(sockets)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        offered[f"call-{n}"] = time.perf_counter()
        offer(bus, f"call-{n}", name, KNOWN_CALLER if n % 2 else f"+1415555{n:04d}")
        readers.append(asyncio.create_task(received(sockets[name][1], offered)))
    return list(await asyncio.gather(*readers))


async def received(ws: ClientWebSocketResponse,
                   offered: dict[str, float]) -> tuple[float, float]:
    """(first pop, CRM pop) latencies of one agent's call."""
    pops: list[tuple[float, dict[str, Any]]] = []
    while not pops or pops[-1][1]["payload"]["lookup"] == "pending":
        message = json.loads((await ws.receive(timeout=30)).data)
        pops.append((time.perf_counter() - offered[message["call_id"]], message))
    return pops[0][0], pops[-1][0]


async def browser_pops(bus: EventBus, page: Page, calls: int, seconds: float,
                       skew: float) -> list[float]:
    """Offer the browser agent a known caller `calls` times over `seconds`: offer -> the
    record drawn, each."""
    latencies = []
    for n in range(calls):
        call_id = f"browser-{n}"
        offered = offer(bus, call_id, BROWSER_AGENT, KNOWN_CALLER)
        drawn = await page.wait_for_function("id => window.drawn[id]", arg=call_id,
                                             timeout=30_000)
        drawn_ms = await drawn.json_value()
        latencies.append(drawn_ms / 1000 - skew - offered)
        await asyncio.sleep(seconds / calls)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="offers per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--browser-calls", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cc-screenpop-") as work:
        result = asyncio.run(run(args.agents, args.rate, args.seconds, args.browser_calls,
                                 Path(work)))
    print(json.dumps(result) if args.json
          else "\n".join(f"{key}: {value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
