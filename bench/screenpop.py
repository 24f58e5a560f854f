"""Screen pop benchmark: N agents each hold a console websocket; N calls are offered at
once (one per agent); the latency is offer published -> that agent's pop received on its
websocket, through the real ScreenPopper (CRM lookup in a seeded SQLite) and the console.

    .venv/bin/python bench/screenpop.py [--agents 200] [--json]

Prints agents, p50_ms, p99_ms. Measures delivery to the page's socket, not the browser's
paint (the page renders a pop with a few DOM writes). Goal: p99 well under 1 s at 200.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, web  # noqa: E402

from contactcenter.acd.distributor import Distributor  # noqa: E402
from contactcenter.acd.events import CallOffered  # noqa: E402
from contactcenter.agent_console.app import COOKIE, SESSIONS, create_app  # noqa: E402
from contactcenter.crm.database import Database  # noqa: E402
from contactcenter.crm.seed import seed  # noqa: E402
from contactcenter.cti.screenpop import ScreenPopper  # noqa: E402
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
    ms = sorted(latency * 1000 for latency in latencies)
    return {"agents": agents, "p50_ms": round(statistics.median(ms), 2),
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2)}


async def _offer_all(app: web.Application, port: int, agents: int,
                     bus: EventBus) -> list[float]:
    names = [f"bench{i:03d}" for i in range(agents)]
    sockets = []
    sessions = []
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

        async def received(ws) -> float:
            message = json.loads((await ws.receive(timeout=10)).data)
            return time.perf_counter() - offered[message["call_id"]]

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
              f"p99 {result['p99_ms']} ms")


if __name__ == "__main__":
    main()
