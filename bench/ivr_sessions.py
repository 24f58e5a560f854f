"""IVR sessions benchmark: N scripted callers go through the shipped main flow at once,
over the PBX simulator's FastAGI client, into one FastAGI server (same process).

    .venv/bin/python bench/ivr_sessions.py [--sessions 2000] [--think 1.0] [--json]

Prints sessions (how many were in the IVR at the same moment, peak), p99_ms (AGI command
turnaround in the platform: a reply parsed -> the next command written, i.e. interpreter,
prompt lookup and event loop delay under load; the caller's think time is excluded),
kib_per_session (RSS growth at the peak / peak sessions).
Goal: 2,000 sessions, p99_ms <= 10.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contactcenter.events import EventBus  # noqa: E402
from contactcenter.ivr.fastagi import AgiReply, AgiSession, FastAgiServer  # noqa: E402
from contactcenter.ivr.runtime import FlowRegistry, IvrService  # noqa: E402
from contactcenter.sim import PbxSimulator, ScriptedCaller  # noqa: E402
from contactcenter.speech.tts import PromptRenderer  # noqa: E402

FLOWS = Path(__file__).resolve().parent.parent / "flows"


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


async def run(sessions: int, think: float, prompts: Path) -> dict[str, float]:
    registry = FlowRegistry(FLOWS)
    if errors := registry.reload():
        raise SystemExit("\n".join(errors))
    ivr = IvrService(registry, PromptRenderer(prompts), EventBus())
    timings: list[float] = []

    async def timed(session: AgiSession) -> None:
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

    caller = ScriptedCaller(answers=("1", "1001#"), think_seconds=think)
    async with FastAgiServer(timed, port=0) as agi, PbxSimulator(agi_port=agi.port) as sim:
        warm = sim.place_call(ScriptedCaller(answers=("1", "1001#")))  # renders the prompts once
        for _ in range(600):  # at most 30 s for espeak-ng
            if warm.phase != "ivr":
                break
            await asyncio.sleep(0.05)
        timings.clear()
        base = rss_kib()
        calls = [sim.place_call(caller) for _ in range(sessions)]
        peak, peak_rss = 0, base
        while any(c.phase == "ivr" for c in calls):
            active = agi.active_sessions
            if active >= peak:
                peak, peak_rss = active, max(peak_rss, rss_kib())
            await asyncio.sleep(0.05)
    p99 = statistics.quantiles(timings, n=100)[98] * 1000 if len(timings) > 1 else 0.0
    return {"sessions": peak, "p99_ms": round(p99, 3),
            "kib_per_session": round((peak_rss - base) / max(peak, 1), 1),
            "commands": len(timings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds each caller waits before answering (keeps sessions open)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as prompts:
        result = asyncio.run(run(args.sessions, args.think, Path(prompts)))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
