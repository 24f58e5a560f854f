"""IVR sessions benchmark: N scripted callers go through the shipped main flow at once.
The simulator runs in its own process (`contactcenter sim`, its CPU and memory are not the
platform's) and its FastAGI client drives this process's FastAGI server over real TCP.

    .venv/bin/python bench/ivr_sessions.py [--sessions 10000] [--think 6.0] [--spread 5]
                                           [--json]

Prints sessions (how many were in the IVR at the same moment, peak), p99_ms (AGI command
turnaround in the platform: a reply parsed -> the next command written, i.e. interpreter,
prompt lookup and event loop delay under load; the caller's think time is excluded),
kib_per_session (this process's RSS growth at the peak / peak sessions), commands, served
(sessions that reached the platform: each call should), refused (sessions the FastAGI cap
closed at once), transport ("tcp") and load_avg_1m (the host's load at the end: the
simulator shares the host).
Goal: 10,000 sessions, p99_ms <= 5, kib_per_session <= 20.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contactcenter.events import EventBus  # noqa: E402
from contactcenter.ivr.fastagi import (  # noqa: E402
    FILES_BESIDES_SESSIONS,
    AgiReply,
    AgiSession,
    FastAgiServer,
    allow_open_files,
)
from contactcenter.ivr.runtime import FlowRegistry, IvrService  # noqa: E402
from contactcenter.speech.tts import PromptRenderer  # noqa: E402
from tests.faults.harness import Simulator  # noqa: E402

FLOWS = Path(__file__).resolve().parent.parent / "flows"


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


async def until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def run(sessions: int, think: float, spread: float, work: Path) -> dict[str, object]:
    registry = FlowRegistry(FLOWS)
    if errors := registry.reload():
        raise SystemExit("\n".join(errors))
    ivr = IvrService(registry, PromptRenderer(work / "prompts"), EventBus())
    timings: list[float] = []
    served = 0

    async def timed(session: AgiSession) -> None:
        nonlocal served
        served += 1
        send = session.command
        replied: list[float] = []

        async def command(line: str) -> AgiReply:
            if replied:  # the platform's own time: last reply in -> this command out
                timings.append(time.perf_counter() - replied[-1])
            try:
                return await send(line)
            finally:
                replied.append(time.perf_counter())
        session.command = command  # type: ignore[method-assign]
        await ivr.handle(session)

    # the simulator (a child: it inherits the limit) holds the other end of every socket
    allow_open_files(sessions + FILES_BESIDES_SESSIONS)
    caller = {"answers": ["1", "1001#"], "think_seconds": think}
    async with FastAgiServer(timed, port=0, max_sessions=sessions + 100) as agi:
        sim = Simulator(work, [agi.port], [], talk_seconds=1.0)
        await sim.start()
        try:
            await sim.place([{**caller, "think_seconds": 0.0}], 0)  # renders the prompts
            await until(lambda: served == 1 and not agi.active_sessions, 60, "the warm-up")
            timings.clear()
            base = rss_kib()
            await sim.place([caller] * sessions, spread)
            peak, peak_rss = 0, base
            placed = time.monotonic() + spread
            while served <= sessions or agi.active_sessions:
                active = agi.active_sessions
                if active >= peak:
                    peak, peak_rss = active, max(peak_rss, rss_kib())
                if not active and time.monotonic() > placed + 10:
                    break  # a call that never reached us: counted below
                await asyncio.sleep(0.05)
        finally:
            await sim.stop()
    p99 = statistics.quantiles(timings, n=100)[98] * 1000 if len(timings) > 1 else 0.0
    return {"sessions": peak, "p99_ms": round(p99, 3),
            "kib_per_session": round((peak_rss - base) / max(peak, 1), 1),
            "commands": len(timings), "served": served - 1, "refused": agi.refused,
            "transport": "tcp",
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--think", type=float, default=6.0,
                        help="seconds each caller waits before answering (keeps sessions open)")
    parser.add_argument("--spread", type=float, default=5.0,
                        help="seconds over which the simulator places the calls")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cc-ivr-bench-") as work:
        result = asyncio.run(run(args.sessions, args.think, args.spread, Path(work)))
    print(json.dumps(result) if args.json
          else "\n".join(f"{key}: {value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
