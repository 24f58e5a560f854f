"""Capacity (issue 16): how many whole calls per second one platform process carries, and
two processes sharing one Redis.

    .venv/bin/python bench/capacity.py [--seconds 60] [--rates 10,20,40,60,80,120,160,200]
                                       [--stores memory,redis] [--no-scale] [--talk 1.0]
                                       [--customers 200] [--profile] [--keep DIR] [--json]

Everything runs as real processes (tests/faults/harness.py): the simulator
(`python -m contactcenter.sim`, its CPU never counted against the platform's), the
platform (`contactcenter run`, its CPU and RSS read from /proc/<pid>), a redis-server of
the bench's own for the Redis store (appendfsync everysec), and the agents' consoles in
this process: every agent signed in (stored sessions: argon2 logins are slow) with a
websocket open. Each call is whole: the IVR (FLOW below: a CRM lookup by the caller's
number, a greeting with the customer's name, a menu answered with a key, the queue step:
a dozen AGI commands), the queue, a position announcement if the caller is still waiting
at the queue watch's tick, the offer, the pop on the agent's websocket, the answer, talk,
the agent's hang-up, the interaction row, a wrap-up of 0.3 s. Agents scale with the rate
(rate x holding time x 1.3, plus 4), so calls do not wait on agents. The callers are
`--customers` CRM customers, each greeted by name (their prompts are rendered at the first
rate and cached after).

Each rate runs `--seconds` of Poisson arrivals on a fresh rig, then the calls drain and
are judged against the simulator's record, the CRM's rows and what each console got
(harness.judge): no call lost, none offered twice, no phone rung while busy, every row
closed, every connected call popped. Latencies, from the platform's and the simulator's
wall-clock timestamps on this one machine:
- queue entry -> offer: the pop's `offered_at` (the platform's CallOffered) minus the later
  of the moment the caller was parked in the queue's music on hold (the simulator's
  `parked_at`) and the moment the agent last became available (the agent's own state
  message), as cc_offer_latency_seconds counts readiness; `ivr_to_offer` is the same from
  the IVR's queue step (the queue step's AGI commands, the end of the session and the
  dialplan in);
- offer -> pop: when the pop's websocket message arrived here minus `offered_at` (so it
  includes this process's own delay in reading).
At a rate the platform kept up when every call was answered and none lost, with p99
entry -> offer under 1 s; carried the rate when every call was judged right too; and
sustained it when p99 entry -> offer <= 20 ms and offer -> pop <= 50 ms as well. The
search steps up until the platform does not keep up; `calls_per_s` is the highest rate
sustained (with every rate below it), the figures beside it are that rate's. The load
average is printed beside every figure: the machine may be shared.

The scale-out run starts two platform processes on one Redis: the simulator sends each
call's FastAGI session to the next in turn (round-robin, as a TCP load balancer would),
each process has its own AMI link, and the store's atomic offer decides which process
originates (docs/scaling.md). It steps from the one process's highest rate kept up with
to twice that; `scale_ratio_2p` is the ratio of the highest rates kept up with, printed
with whether that rate was carried and its double offers and busy rings.

`--profile` records the first platform with py-spy (on PATH), samples holding the GIL,
into profile.txt (folded stacks) in each rate's folder under `--keep`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contactcenter.crm.customers import Customers  # noqa: E402
from contactcenter.crm.database import Database  # noqa: E402
from tests.faults.harness import (  # noqa: E402
    QUEUES,
    Rig,
    Traffic,
    Verdict,
    closed_rows,
    drained,
    drill_rig,
    judge,
    make_crm,
    settled_agents,
)

FLOW = """name: main
start: identify
steps:
  identify:
    lookup: {by: phone, found: welcome_back, not_found: welcome}
    on_error: welcome
  welcome_back:
    say: Welcome back, ${customer_name}.
    next: menu
  welcome:
    say: Thank you for calling.
    next: menu
  menu:
    menu:
      prompt: For billing, press 1. For support, press 2.
      choices:
        "1": {goto: support}
        "2": {goto: support}
      timeout: 5
      retries: 1
    on_exhausted: support
  support:
    queue:
      name: support
      fields: [customer_name, customer_segment]
"""
WRAP_UP = 0.3
QUEUES_YAML = "queues:\n" + "".join(
    f"  {queue}: {{wrap_up_seconds: {WRAP_UP}, ring_timeout_seconds: 5,"
    " announce: {on_entry: true, every_seconds: 30}}\n" for queue in QUEUES)
ANSWER_AFTER = 0.2  # the simulator's phones (harness.Simulator)
RATES = (10, 20, 40, 60, 80, 120, 160, 200)
ENTRY_TO_OFFER_MS, OFFER_TO_POP_MS = 20.0, 50.0
CARRIED_MS = 1000.0  # p99 entry -> offer beyond this: the platform fell behind the calls
TICK = os.sysconf("SC_CLK_TCK")


def number(i: int) -> str:
    return f"+1415555{1000 + i}"


def make_customers(path: Path, count: int) -> None:
    """`count` customers, each with their own number and name: each greeting is its own."""
    db = Database.open(f"sqlite:///{path}")
    try:
        customers = Customers(db)
        for i in range(count):
            customers.create(name=f"Customer {i}", phones=[number(i)], segment="gold")
    finally:
        db.close()


def callers(count: int) -> list[dict[str, object]]:
    return [{"number": number(i), "name": f"Customer {i}", "answers": ["2"]}
            for i in range(count)]


def agents_for(rate: float, talk: float) -> int:
    return math.ceil(rate * (ANSWER_AFTER + talk + WRAP_UP + 0.2) * 1.3) + 4


# -- what the platform's process costs ---------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


# -- what the agents' pages see ------------------------------------------------------------------

@dataclass
class Pages:
    """Latencies from the messages the agents' websockets receive."""

    available_at: dict[str, float] = field(default_factory=dict)  # agent -> last available
    ready_at: dict[str, float] = field(default_factory=dict)  # call -> its agent available
    offered_at: dict[str, float] = field(default_factory=dict)  # call -> offered
    ivr_to_offer: list[float] = field(default_factory=list)  # ms
    offer_to_pop: list[float] = field(default_factory=list)  # ms

    def heard(self, agent: str, message: dict, received: float) -> None:
        if message.get("type") == "state" and message.get("state") == "available":
            self.available_at[agent] = float(message["at"])
        elif message.get("type") == "pop" and message["payload"].get("lookup") == "pending":
            call = message["call_id"]
            if call in self.offered_at:
                return  # the same offer's pop from another console (scale-out: both watched)
            payload, offered_at = message["payload"], float(message["at"])
            self.offered_at[call] = offered_at
            self.ready_at[call] = self.available_at.get(agent, 0.0)
            ready = max(payload.get("entered_at") or 0.0, self.ready_at[call])
            self.ivr_to_offer.append(max(0.0, offered_at - ready) * 1000)
            self.offer_to_pop.append((received - offered_at) * 1000)

    def entry_to_offer(self, record: dict) -> list[float]:
        """ms from the later of the caller parked in the queue (the simulator's music on
        hold) and the agent available to the offer, of every call offered."""
        return [max(0.0, self.offered_at[c["uniqueid"]]
                    - max(c["parked_at"], self.ready_at[c["uniqueid"]])) * 1000
                for c in record["calls"] if c["parked_at"] and c["uniqueid"] in self.offered_at]


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 1)


# -- one rate ------------------------------------------------------------------------------------

@dataclass
class Step:
    store: str
    processes: int
    rate: float
    agents: int
    calls: int = 0
    verdict: Verdict | None = None
    entry_to_offer_p50_ms: float = 0.0
    entry_to_offer_p99_ms: float = 0.0
    ivr_to_offer_p99_ms: float = 0.0  # from the IVR's queue step (its last AGI commands in)
    offer_to_pop_p99_ms: float = 0.0
    cpu_pct: float = 0.0  # the platforms' CPU while the calls arrived, % of one core
    cpu_ms_per_call: float = 0.0  # the platforms' CPU from the first call to the last end
    rss_mib: float = 0.0  # the platforms' RSS when the last call arrived (summed)
    sim_cpu_pct: float = 0.0
    loadavg: float = 0.0

    @property
    def kept_up(self) -> bool:
        """Every call answered, none lost, and the platform kept up (p99 entry -> offer
        within CARRIED_MS), whatever else went wrong (a phone rung while busy)."""
        return self.verdict is not None and self.calls > 0 \
            and self.verdict.answered == self.calls and not self.verdict.lost \
            and self.entry_to_offer_p99_ms <= CARRIED_MS

    @property
    def carried(self) -> bool:
        """Kept up, and every call judged right."""
        return self.kept_up and self.verdict is not None and self.verdict.passed

    @property
    def sustained(self) -> bool:
        """Carried within the issue's latencies."""
        return self.carried and self.entry_to_offer_p99_ms <= ENTRY_TO_OFFER_MS \
            and self.offer_to_pop_p99_ms <= OFFER_TO_POP_MS

    def row(self) -> dict[str, object]:
        verdict = self.verdict.row() if self.verdict else {}
        return {"store": self.store, "processes": self.processes, "rate": self.rate,
                "agents": self.agents, "calls": self.calls,
                "entry_to_offer_p50_ms": self.entry_to_offer_p50_ms,
                "entry_to_offer_p99_ms": self.entry_to_offer_p99_ms,
                "ivr_to_offer_p99_ms": self.ivr_to_offer_p99_ms,
                "offer_to_pop_p99_ms": self.offer_to_pop_p99_ms, "cpu_pct": self.cpu_pct,
                "cpu_ms_per_call": self.cpu_ms_per_call, "rss_mib": self.rss_mib,
                "sim_cpu_pct": self.sim_cpu_pct, "loadavg": self.loadavg,
                **{key: verdict[key] for key in ("answered", "lost", "double_offered",
                                                 "busy_rings", "stuck_agents",
                                                 "records_wrong", "pops_missing")
                   if key in verdict},
                "kept_up": self.kept_up, "carried": self.carried,
                "sustained": self.sustained}


async def run_rate(root: Path, step: Step, seconds: float, talk: float, customers: int,
                   profile: bool = False) -> Step:
    work = root / f"{step.store}-{step.processes}p-{step.rate:g}"
    work.mkdir()
    traffic = Traffic(calls=0, seconds=seconds, agents=step.agents, talk_seconds=talk,
                      drain_seconds=30.0)
    pages = Pages()
    async with drill_rig(work, traffic, redis=step.store == "redis", prompts=root / "prompts",
                         crm=root / "crm.db", flow=FLOW, queues=QUEUES_YAML,
                         processes=step.processes, redis_fsync="everysec",
                         log_level="WARNING") as rig:
        rig.consoles.listener = pages.heard
        pids = [p.proc.pid for p in rig.platforms if p.proc is not None]
        sim_pid = rig.sim.proc.pid if rig.sim.proc is not None else 0
        began, cpu0, sim0 = time.monotonic(), sum(map(cpu_seconds, pids)), cpu_seconds(sim_pid)
        await rig.sim.call("POST", "/calls", {"callers": callers(customers), "rate": step.rate,
                                              "seconds": seconds})
        if profile:  # py-spy's folded stacks of the first platform while the calls arrive
            spy = await asyncio.create_subprocess_exec(
                "py-spy", "record", "--gil", "-p", str(pids[0]), "-d", str(int(seconds)),
                "-r", "100", "--format", "raw", "--nonblocking", "-o", str(work / "profile.txt"),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(seconds)
        if profile:
            await spy.wait()
        arrived, cpu1 = time.monotonic(), sum(map(cpu_seconds, pids))
        step.cpu_pct = round((cpu1 - cpu0) / (arrived - began) * 100, 1)
        step.sim_cpu_pct = round((cpu_seconds(sim_pid) - sim0) / (arrived - began) * 100, 1)
        step.rss_mib = round(sum(map(rss_mib, pids)), 1)
        step.loadavg = loadavg()
        record = await drained(rig)
        await asyncio.to_thread((work / "record.json").write_text, json.dumps(record))
        step.calls = len(record["calls"])
        step.cpu_ms_per_call = round((sum(map(cpu_seconds, pids)) - cpu0) * 1000
                                     / max(1, step.calls), 2)
        step.verdict = await verdict_of(rig, record)
    entry_to_offer = pages.entry_to_offer(record)
    step.entry_to_offer_p50_ms = percentile(entry_to_offer, 50)
    step.entry_to_offer_p99_ms = percentile(entry_to_offer, 99)
    step.ivr_to_offer_p99_ms = percentile(pages.ivr_to_offer, 99)
    step.offer_to_pop_p99_ms = percentile(pages.offer_to_pop, 99)
    return step


async def verdict_of(rig: Rig, record: dict) -> Verdict:
    states = await settled_agents(rig, rig.platforms[0])
    rows = await closed_rows(rig, record)
    return judge(Verdict("capacity"), record, rows, states, rig.consoles)


# -- the search ---------------------------------------------------------------------------------

@dataclass
class Search:
    """One store and process count stepped through the rates."""

    steps: list[Step] = field(default_factory=list)

    @property
    def sustained(self) -> Step | None:
        """The highest rate sustained with every rate below it sustained too."""
        best = None
        for step in self.steps:
            if not step.sustained:
                break
            best = step
        return best

    @property
    def carried(self) -> Step | None:
        return next((s for s in reversed(self.steps) if s.carried), None)

    @property
    def kept_up(self) -> Step | None:
        return next((s for s in reversed(self.steps) if s.kept_up), None)


async def search(root: Path, store: str, processes: int, rates: list[float],
                 args: argparse.Namespace) -> Search:
    """Step up through `rates` until the platform does not keep up (a call lost or not
    answered, or p99 entry -> offer past a second)."""
    found = Search()
    for rate in rates:
        step = await run_rate(root, Step(store, processes, rate, agents_for(rate, args.talk)),
                              args.seconds, args.talk, args.customers, args.profile)
        found.steps.append(step)
        print(json.dumps(step.row()), file=sys.stderr, flush=True)
        if step.verdict is not None and not step.verdict.passed:
            print(step.verdict.explain(), file=sys.stderr, flush=True)
        if not step.kept_up:
            break
    return found


async def run(root: Path, args: argparse.Namespace) -> dict[str, object]:
    rates = [float(r) for r in args.rates.split(",")]
    memory = await search(root, "memory", 1, rates, args) if "memory" in args.stores \
        else Search()
    redis = await search(root, "redis", 1, rates, args) if "redis" in args.stores \
        else Search()
    result = figures(memory, redis)
    steps = memory.steps + redis.steps
    one = redis.kept_up
    if not args.no_scale and one is not None:
        # two processes from the one process's top rate up to twice it
        two = await search(root, "redis", 2, [one.rate * f for f in (1.0, 1.25, 1.5, 1.75,
                                                                         2.0)], args)
        steps += two.steps
        top = two.kept_up
        result.update({
            "calls_per_s_redis_1p_kept_up": one.rate,
            "calls_per_s_redis_2p_kept_up": top.rate if top else 0.0,
            "scale_ratio_2p": round(top.rate / one.rate, 2) if top else 0.0,
            "carried_2p": bool(top and top.carried),  # and every call judged right
            "double_offered_2p": top.verdict.double_offered if top and top.verdict else 0,
            "busy_rings_2p": top.verdict.busy_rings if top and top.verdict else 0,
            "cpu_ms_per_call_2p": top.cpu_ms_per_call if top else 0.0,
            "loadavg_2p": top.loadavg if top else loadavg()})
    result["steps"] = [step.row() for step in steps]
    return result


def figures(memory: Search, redis: Search) -> dict[str, object]:
    """The issue's keys: the memory store's figures (at its highest rate sustained), the
    Redis store's rate beside them; the highest rates carried whatever the latencies."""
    top = memory.sustained or memory.carried or Step("memory", 1, 0.0, 0)
    on_redis = redis.sustained or redis.carried or Step("redis", 1, 0.0, 0)
    return {"calls_per_s": memory.sustained.rate if memory.sustained else 0.0,
            "calls_per_s_redis": redis.sustained.rate if redis.sustained else 0.0,
            "calls_per_s_carried": memory.carried.rate if memory.carried else 0.0,
            "calls_per_s_redis_carried": redis.carried.rate if redis.carried else 0.0,
            "at_rate": top.rate,
            "entry_to_offer_p99_ms": top.entry_to_offer_p99_ms,
            "offer_to_pop_p99_ms": top.offer_to_pop_p99_ms, "cpu_pct": top.cpu_pct,
            "cpu_ms_per_call": top.cpu_ms_per_call, "rss_mib": top.rss_mib,
            "loadavg": top.loadavg,
            "redis_at_rate": on_redis.rate,
            "redis_entry_to_offer_p99_ms": on_redis.entry_to_offer_p99_ms,
            "redis_offer_to_pop_p99_ms": on_redis.offer_to_pop_p99_ms,
            "redis_cpu_ms_per_call": on_redis.cpu_ms_per_call,
            "redis_loadavg": on_redis.loadavg,
            "scale_ratio_2p": 0.0, "cpus": os.cpu_count()}


def prepare(root: Path, args: argparse.Namespace) -> None:
    """The CRM every rate copies (agents for the top rate, customers) and the prompt cache
    they share."""
    root.mkdir(exist_ok=True)
    (root / "prompts").mkdir(exist_ok=True)
    for old in ("crm.db", "sessions.json"):
        (root / old).unlink(missing_ok=True)
    rates = [float(r) for r in args.rates.split(",")]
    make_crm(root / "crm.db", agents_for(max(rates) * (1 if args.no_scale else 2), args.talk))
    make_customers(root / "crm.db", args.customers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="traffic per rate")
    parser.add_argument("--rates", default=",".join(map(str, RATES)),
                        help="calls per second to step through, comma-separated")
    parser.add_argument("--talk", type=float, default=1.0, help="talk time, s")
    parser.add_argument("--customers", type=int, default=200,
                        help="distinct callers (each a CRM customer greeted by name)")
    parser.add_argument("--stores", default="memory,redis", help="the stores to measure")
    parser.add_argument("--no-scale", action="store_true", help="skip the 2-process run")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy (on PATH) records the platform at each rate while it holds the GIL: "
                             "profile.txt (folded stacks) in --keep's folder of the rate")
    parser.add_argument("--keep", default="", metavar="DIR",
                        help="work in DIR and keep the processes' logs there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cc-capacity-") as tmp:
        root = Path(args.keep or tmp)
        prepare(root, args)
        result = asyncio.run(run(root, args))
    if args.json:
        print(json.dumps(result))
    else:
        for step in result.pop("steps"):  # type: ignore[attr-defined]
            print(" ".join(f"{k}={v}" for k, v in step.items()))
        print(" ".join(f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
