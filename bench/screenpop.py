"""Screen pop benchmark: N agents each hold a console websocket; N calls are offered at
once (one per agent); the latencies are offer published -> that agent's first pop (what
the offer says, sent with the ring) and -> the pop with the CRM record, received on its
websocket, through the real ScreenPopper (CRM lookup in a seeded SQLite) and the console.

    .venv/bin/python bench/screenpop.py [--agents 200] [--json]

Prints agents, p50_ms, p99_ms (first pop), crm_p50_ms, crm_p99_ms (CRM record). Measures
delivery to the page's socket, not the browser's paint (the page renders a pop with a few
DOM writes). Goal: p99 well under 1 s at 200 for both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, web  # noqa: E402

from contactcenter.acd.distributor import Distributor  # noqa: E402
from contactcenter.acd.events import CallOffered  # noqa: E402
from contactcenter.agent_console.app import COOKIE, DB, SESSIONS, create_app  # noqa: E402
from contactcenter.crm.database import Database  # noqa: E402
from contactcenter.crm.models import UserRow  # noqa: E402
from contactcenter.crm.seed import seed  # noqa: E402
from contactcenter.crm_link.screenpop import ScreenPopper  # noqa: E402
from contactcenter.events import EventBus  # noqa: E402
from contactcenter.queue.memory_store import MemoryStore  # noqa: E402

KNOWN_CALLER = "+14155550123"  # a seeded customer; every other call is an unknown number


async def run(agents: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(f"sqlite:///{tmp}/crm.db")
        seed(db)
        bus = EventBus()
        # No call is ever originated here, so the distributor needs no PBX link.
        async with Distributor(MemoryStore(), None, bus) as desk:  # type: ignore[arg-type]
            app = create_app(desk=desk, db=db, bus=bus)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            try:
                async with ScreenPopper(bus, db):
                    latencies = await _offer_all(app, port, agents, bus)
            finally:
                await runner.cleanup()
        db.close()
    first, crm = zip(*latencies, strict=True)
    return {"agents": agents, **_percentiles("", first), **_percentiles("crm_", crm)}


def _percentiles(prefix: str, seconds: tuple[float, ...]) -> dict[str, float]:
    ms = sorted(latency * 1000 for latency in seconds)
    return {f"{prefix}p50_ms": round(statistics.median(ms), 2),
            f"{prefix}p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2)}


async def _offer_all(app: web.Application, port: int, agents: int,
                     bus: EventBus) -> list[tuple[float, float]]:
    names = [f"bench{i:03d}" for i in range(agents)]
    sockets = []
    sessions = []
    with app[DB].session() as rows:  # a session needs its user (auth.py re-reads it)
        rows.add_all(UserRow(username=name, password_hash="-", role="agent") for name in names)
    try:
        for name in names:
            session = app[SESSIONS].create(name, "agent")
            http = ClientSession(cookies={COOKIE: session.sid})
            sessions.append(http)
            sockets.append(await http.ws_connect(f"http://127.0.0.1:{port}/ws"))
        offered: dict[str, float] = {}
        now = time.time()
        for i, name in enumerate(names):
            offered[f"call-{i}"] = time.perf_counter()
            bus.publish(CallOffered(f"call-{i}", name, "support", now,
                                    caller_num=KNOWN_CALLER if i % 2 else f"+1415555{i:04d}",
                                    entered_at=now - 5))

        async def received(ws) -> tuple[float, float]:
            """(first pop, CRM pop) latencies of one agent's call."""
            pops: list[tuple[float, dict[str, Any]]] = []
            while not pops or pops[-1][1]["payload"]["lookup"] == "pending":
                message = json.loads((await ws.receive(timeout=10)).data)
                pops.append((time.perf_counter() - offered[message["call_id"]], message))
            return pops[0][0], pops[-1][0]

        return list(await asyncio.gather(*(received(ws) for ws in sockets)))
    finally:
        for ws in sockets:
            await ws.close()
        for http in sessions:
            await http.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.agents))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['agents']} agents: pop p50 {result['p50_ms']} ms, "
              f"p99 {result['p99_ms']} ms; with the CRM record p50 {result['crm_p50_ms']} ms, "
              f"p99 {result['crm_p99_ms']} ms")


if __name__ == "__main__":
    main()
