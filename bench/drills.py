"""The fault drills of issue 10 at size: the simulator and every platform in their own
processes, faults injected from outside (tests/faults/drills.py), each call judged against
the simulator's record, the CRM's rows and the agents' consoles (tests/faults/harness.py).

    .venv/bin/python bench/drills.py [--calls 150] [--seconds 30] [--agents 10]
                                     [--only SUBSTRING] [--json]

Prints one row per drill: calls, answered, abandoned (the callers' own patience),
overflowed, lost (stranded in music on hold, dropped or cleared), double-offered, phones
rung while busy, stuck agents, records wrong, unseen (calls that came and went while no
platform process ran: no record can exist), pops missing, seconds. Exits 1 if any drill
failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.drills import DRILLS  # noqa: E402
from tests.faults.harness import Traffic, Verdict, make_crm, run_drill  # noqa: E402

COLUMNS = ("drill", "calls", "answered", "abandoned", "overflowed", "lost", "double_offered",
           "busy_rings", "stuck_agents", "records_wrong", "unseen", "pops_missing", "fault_seen",
           "seconds")


async def run(traffic: Traffic, only: str, keep: str) -> list[Verdict]:
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="cc-drills-") as tmp:
        root = Path(keep or tmp)
        make_crm(root / "crm.db", traffic.agents)
        (root / "prompts").mkdir()
        for i, drill in enumerate(d for d in DRILLS if only.lower() in d.name.lower()):
            work = root / f"drill-{i}"
            work.mkdir()
            verdict = await run_drill(drill.name, drill.fault, work, traffic,
                                      redis=drill.redis, prompts=root / "prompts",
                                      crm=root / "crm.db", platform_argv=drill.platform_argv,
                                      evidence=drill.evidence, times=drill.times,
                                      sentinel=drill.sentinel)
            print(json.dumps(verdict.row()) if not verdict.passed else f"ok: {drill.name}",
                  file=sys.stderr, flush=True)
            if not verdict.passed:
                print(verdict.explain(), file=sys.stderr, flush=True)
            verdicts.append(verdict)
    return verdicts


def table(verdicts: list[Verdict]) -> str:
    rows = [[str(verdict.row()[column]) for column in COLUMNS] for verdict in verdicts]
    widths = [max(len(column), *(len(row[i]) for row in rows)) for i, column in
              enumerate(COLUMNS)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
              for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=150)
    parser.add_argument("--seconds", type=float, default=30.0, help="traffic per drill")
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--talk", type=float, default=2.0, help="agents' talk time, s")
    parser.add_argument("--only", default="", help="the drills whose name contains this")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", default="", metavar="DIR",
                        help="work in DIR (a new one) and keep the processes' logs there")
    args = parser.parse_args()
    traffic = Traffic(calls=args.calls, seconds=args.seconds, agents=args.agents,
                      talk_seconds=args.talk, drain_seconds=60.0)
    verdicts = asyncio.run(run(traffic, args.only, args.keep))
    if args.json:
        print(json.dumps([verdict.row() for verdict in verdicts]))
    else:
        print(table(verdicts))
    return 0 if all(verdict.passed for verdict in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
