"""Estimated wait against actual wait: scripted traffic through the platform over the PBX
simulator (real FastAGI running the shipped main flow and the queue announcements, real
AMI, a Distributor on the memory store: tests/acd/conftest.py's rig), and, for every
estimate a caller was told, the wait they then had.

    .venv/bin/python bench/ewt.py [--seconds 60] [--agents 8] [--talk 5] [--seed 1] [--json]

Four queues (billing, support, sales at priority 1, operator) and agents who serve
different queues at different penalty tiers; talk times drawn from a lognormal around
`--talk`; Poisson arrivals in phases at 0.8, 1.0, 1.3 and 1.0 times what the agents can
handle, after a warm-up at 0.6 whose estimates are not counted (the platform learns the
queues' handle times there, as a running one already has). Every caller hears an
announcement on entry and every `--every` seconds; each estimate is compared with the wait
that followed it (for the entry announcement: queue entry to connect). Callers who never
connect (still waiting when the bench stops) are left out.

Prints the median absolute error (s), the median relative error, the share of estimates
within ±30 % of the actual wait, how many estimates (and callers), the offered load per
phase and the machine's 1-minute load average (a loaded machine stretches every wait).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contactcenter.acd.agents import AgentProfile  # noqa: E402
from contactcenter.acd.distributor import Distributor  # noqa: E402
from contactcenter.acd.events import CallConnected  # noqa: E402
from contactcenter.queue_config import Announcements, QueueDefinition  # noqa: E402
from contactcenter.sim import ScriptedAgent, ScriptedCaller  # noqa: E402
from tests.acd.conftest import acd_rig  # noqa: E402

WRAP_UP_S = 1.0
WARM_UP = 0.6  # load while the platform learns the handle times (not measured)
PHASES = (0.8, 1.0, 1.3, 1.0)  # offered load, as a share of what the agents can handle
MIX = (("billing", ("1", "1234#"), 0.35, 0.8), ("support", ("2",), 0.30, 1.5),
       ("sales", ("3",), 0.20, 1.0), ("operator", ("0",), 0.15, 0.5))
# queue, keys pressed, share of callers, talk time as a share of --talk
ROSTER = ({"billing": 0, "operator": 1}, {"support": 0}, {"sales": 0, "operator": 0},
          {"support": 0, "sales": 1}, {"billing": 0}, {"operator": 0, "billing": 1},
          {"support": 0, "billing": 1}, {"billing": 0, "sales": 0})  # agent i: ROSTER[i % 8]
WITHIN = 0.30


@dataclass(frozen=True)
class Told:
    """One estimate a caller heard: when, their place, the seconds announced."""

    call_id: str
    at: float
    place: int
    estimate_s: float


def caller(rng: random.Random, i: int, talk_s: float) -> ScriptedCaller:
    """A caller who picks a queue by the mix and talks a lognormal time around the
    queue's share of talk_s."""
    _, keys, _, scale = rng.choices(MIX, weights=[share for _, _, share, _ in MIX])[0]
    sigma = 0.6
    talk = rng.lognormvariate(math.log(talk_s * scale) - sigma ** 2 / 2, sigma)
    return ScriptedCaller(number=f"+1415555{i:04d}", answers=keys, talk_seconds=talk)


async def run(seconds: float, agents: int, talk_s: float, every_s: float,
              seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    queues = {name: QueueDefinition(name, wrap_up_seconds=WRAP_UP_S, ring_timeout_seconds=5.0,
                                    announcements=Announcements(True, every_s))
              for name, _, _, _ in MIX}
    phones = {f"SIP/ewt{i:02d}": ScriptedAgent(answer_after=0.1, talk_seconds=None)
              for i in range(agents)}
    mean_talk = talk_s * sum(share * scale for _, _, share, scale in MIX)
    capacity = agents / (mean_talk + WRAP_UP_S)  # calls a second the agents can take
    told: list[Told] = []
    numbers = itertools.count()
    with tempfile.TemporaryDirectory(prefix="cc-ewt-") as tmp:
        async with acd_rig(Path(tmp), agents=phones, queues=queues, seed=seed) as rig:
            _record_estimates(rig.acd, told)
            for i, device in enumerate(phones):
                name = device.removeprefix("SIP/")
                await rig.acd.register_agent(AgentProfile(name, device, ROSTER[i % len(ROSTER)]))
                await rig.acd.login(name)

            def make(_: int) -> ScriptedCaller:
                return caller(rng, next(numbers), talk_s)

            placed = await rig.sim.run_traffic(rate=WARM_UP * capacity, seconds=seconds / 5,
                                               make_caller=make)
            start = time.time()
            for load in PHASES:
                placed += await rig.sim.run_traffic(rate=load * capacity,
                                                    seconds=seconds / len(PHASES),
                                                    make_caller=make)
            end = time.time()
            waiting = [c for c in placed if not c.answered and not c.ended.is_set()]
            deadline = time.monotonic() + seconds / 3
            while waiting and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                waiting = [c for c in waiting if not c.answered and not c.ended.is_set()]
            connected = {e.call_id: e.at for e in rig.of(CallConnected)}
    counted = [t for t in told if start <= t.at <= end]
    return figures(counted, connected, capacity, talk_s, len(placed))


def _record_estimates(acd: Distributor, told: list[Told]) -> None:
    """Keep every estimate the announcer reads from the distributor, as it is read."""
    estimate = acd.wait_estimate

    async def recorded(call_id: str) -> tuple[int, float] | None:
        result = await estimate(call_id)
        if result is not None:
            told.append(Told(call_id, time.time(), *result))
        return result

    acd.wait_estimate = recorded  # type: ignore[method-assign]


def figures(told: list[Told], connected: dict[str, float], capacity: float, talk_s: float,
            calls: int) -> dict[str, object]:
    """The estimates told during the measured phases against the waits that followed."""
    pairs = [(t.estimate_s, connected[t.call_id] - t.at) for t in told if t.call_id in connected]
    errors = [abs(estimate - actual) for estimate, actual in pairs]
    within = [abs(estimate - actual) <= WITHIN * actual for estimate, actual in pairs]
    relative = [abs(estimate - actual) / max(actual, 0.5) for estimate, actual in pairs]
    callers = {t.call_id for t in told if t.call_id in connected}
    return {
        "median_abs_error_s": round(statistics.median(errors), 2) if errors else None,
        "median_rel_error_pct": round(100 * statistics.median(relative), 1) if pairs else None,
        "within_30_pct": round(100 * sum(within) / len(within), 1) if within else None,
        "estimates": len(pairs), "callers": len(callers), "calls": calls,
        "median_actual_wait_s": round(statistics.median(a for _, a in pairs), 2)
        if pairs else None,
        "talk_s": talk_s, "capacity_per_s": round(capacity, 2),
        "offered_load": list(PHASES), "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="traffic (the warm-up adds a fifth, draining up to a third)")
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--talk", type=float, default=5.0, help="mean talk time, s")
    parser.add_argument("--every", type=float, default=10.0,
                        help="seconds between a caller's announcements")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.seconds, args.agents, args.talk, args.every, args.seed))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['estimates']} estimates to {result['callers']} callers "
              f"({result['calls']} calls, median wait {result['median_actual_wait_s']} s): "
              f"median abs error {result['median_abs_error_s']} s "
              f"({result['median_rel_error_pct']} %), within ±30 %: "
              f"{result['within_30_pct']} %; load avg {result['load_avg_1m']}")


if __name__ == "__main__":
    main()
