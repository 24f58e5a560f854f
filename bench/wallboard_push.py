"""Wallboard push benchmark: S supervisors hold a console websocket subscribed to the
wallboard while A agents change state at E events a second for T seconds (logins and
pauses through a real Distributor on the memory store); every board pushed is received.

    .venv/bin/python bench/wallboard_push.py [--supervisors 50] [--agents 200]
        [--events 500] [--seconds 5] [--json]

Prints boards_per_s (pushed to each supervisor), board_kib, kib_per_s (per supervisor),
and p50_ms / p99_ms: from each state change's publication to the first board a
supervisor receives that was built after it. Goals: p99 under 1 s, and boards a second
bounded by the coalescing (about 4) whatever the event rate.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, ClientWebSocketResponse, web  # noqa: E402

from contactcenter.acd.agents import AgentProfile  # noqa: E402
from contactcenter.acd.distributor import Distributor  # noqa: E402
from contactcenter.agent_console.app import COOKIE, DB, SESSIONS, create_app  # noqa: E402
from contactcenter.crm.database import Database  # noqa: E402
from contactcenter.crm.models import UserRow  # noqa: E402
from contactcenter.events import EventBus  # noqa: E402
from contactcenter.queue.memory_store import MemoryStore  # noqa: E402

SUBSCRIBE = json.dumps({"type": "subscribe", "topic": "wallboard"})


class NoPbx:
    """No PBX link: nothing is offered (no call waits), only agents change state."""

    connected = False


async def run(supervisors: int, agents: int, rate: float, seconds: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(f"sqlite:///{tmp}/crm.db")
        bus = EventBus()
        async with Distributor(MemoryStore(), NoPbx(), bus) as desk:  # type: ignore[arg-type]
            names = [f"agent{i:04d}" for i in range(agents)]
            for name in names:
                await desk.register_agent(AgentProfile(name, f"SIP/{name}",
                                                       {f"q{i % 4}": 0 for i in range(2)}))
            app = create_app(desk=desk, db=db, bus=bus)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            try:
                received, published = await _measure(app, runner.addresses[0][1], desk, names,
                                                      supervisors, rate, seconds)
            finally:
                await runner.cleanup()
        db.close()
    return _figures(received, published, supervisors, agents, rate, seconds)


async def _measure(app: web.Application, port: int, desk: Distributor, names: list[str],
                   supervisors: int, rate: float, seconds: float,
                   ) -> tuple[list[list[tuple[float, float, int]]], list[float]]:
    """(per supervisor: (received at, built at, bytes) of each board; publication times)."""
    sessions, sockets = [], []
    received: list[list[tuple[float, float, int]]] = [[] for _ in range(supervisors)]
    bosses = [f"boss{i:03d}" for i in range(supervisors)]
    with app[DB].session() as rows:  # a session is read with its user: they must exist
        rows.add_all(UserRow(username=name, password_hash="-", role="supervisor")
                     for name in bosses)
    try:
        for name in bosses:
            session = app[SESSIONS].create(name, "supervisor")
            http = ClientSession(cookies={COOKIE: session.sid})
            sessions.append(http)
            ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws")
            await ws.send_str(SUBSCRIBE)
            await ws.receive(timeout=10)  # the whole board, at once
            sockets.append(ws)

        async def read(i: int, ws: ClientWebSocketResponse) -> None:
            async for message in ws:
                board = json.loads(message.data)
                received[i].append((time.time(), board["at"], len(message.data)))

        readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
        published = await _change_states(desk, names, rate, seconds)
        await asyncio.sleep(1.0)  # the last boards arrive
        for ws in sockets:
            await ws.close()
        await asyncio.gather(*readers, return_exceptions=True)
        return received, published
    finally:
        for http in sessions:
            await http.close()


async def _change_states(desk: Distributor, names: list[str], rate: float,
                         seconds: float) -> list[float]:
    """Log agents in and pause them, `rate` changes a second; when each was published."""
    published, start, n = [], time.time(), 0
    while (now := time.time()) < start + seconds:
        due = int((now - start) * rate)
        while n < due:
            name = names[(n // 2) % len(names)]
            published.append(time.time())
            if n % 2 == 0:
                await desk.login(name)
            else:
                await desk.pause(name, "bench")
            n += 1
        await asyncio.sleep(0.005)
    return published


def _figures(received: list[list[tuple[float, float, int]]], published: list[float],
             supervisors: int, agents: int, rate: float, seconds: float) -> dict[str, object]:
    latencies = []
    for boards in received:
        built = [at for _, at, _ in boards]
        for moment in published:
            first = bisect.bisect_left(built, moment)
            if first < len(boards):
                latencies.append(boards[first][0] - moment)
    ms = sorted(latency * 1000 for latency in latencies)
    sizes = [size for boards in received for _, _, size in boards]
    boards_per_s = statistics.mean(len(boards) for boards in received) / seconds
    return {"supervisors": supervisors, "agents": agents, "events_per_s": rate,
            "events": len(published), "boards_per_s": round(boards_per_s, 2),
            "board_kib": round(statistics.mean(sizes) / 1024, 1),
            "kib_per_s": round(boards_per_s * statistics.mean(sizes) / 1024, 1),
            "p50_ms": round(statistics.median(ms), 1),
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supervisors", type=int, default=50)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--events", type=float, default=500.0, help="state changes a second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.supervisors, args.agents, args.events, args.seconds))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['supervisors']} supervisors, {result['agents']} agents, "
              f"{result['events']} changes at {result['events_per_s']:g}/s: "
              f"{result['boards_per_s']} boards/s each ({result['board_kib']} KiB, "
              f"{result['kib_per_s']} KiB/s), change -> board p50 {result['p50_ms']} ms, "
              f"p99 {result['p99_ms']} ms")


if __name__ == "__main__":
    main()
