"""Routing benchmark: offer_next latency with 100,000 waiting calls in 500 queues and 10,000
agents, on the memory store and on the Redis store (a redis-server this script starts on a
free loopback port, no persistence), in the same run.

    .venv/bin/python bench/routing.py [--calls 100000] [--queues 500] [--agents 10000]
                                      [--decisions 5000] [--json]

A decision is one offer_next on the populated store, timed alone; after it the call is
settled, a new call joins and the agent is available again, so the population stays put.
Every agent serves one queue at penalty 0 and two more at penalty 1; one call in ten needs
a skill half the agents have; priorities 0-2; half the queues age (120 s).
Prints memory_p50_ms/p99_ms, redis_p50_ms/p99_ms, {memory,redis}_decisions_per_s
(sustained full cycles in one client: decision, settle, new call, agent back), and
decisions_per_s, the Redis store's (the one several platform processes share);
reference_p50_ms is routing.next_offer (sort every call) on the same population; waiting
and agents say its size. load_avg_1m is the host's load when the run ended: p99s move with
other work on the host (a decision preempted by another process takes a time slice).
Goal: memory p99 <= 1 ms, Redis p99 <= 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contactcenter.acd.agents import Agent, AgentProfile, AgentState, transition  # noqa: E402
from contactcenter.acd.routing import WaitingCall, next_offer  # noqa: E402
from contactcenter.acd.store import QueueStore  # noqa: E402
from contactcenter.queue.memory_store import MemoryStore  # noqa: E402
from contactcenter.queue.redis_store import RedisStore  # noqa: E402


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free 127.0.0.1 port: its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is missing: run ./scripts/setup")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", workdir],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                with contextlib.suppress(OSError), socket.create_connection(
                        ("127.0.0.1", port), timeout=0.2):
                    break
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


class Population:
    """Seeded calls and agents, and a fresh call to replace each one served."""

    def __init__(self, calls: int, queues: int, agents: int, now: float) -> None:
        self.rng = random.Random(4)
        self.queues = [f"q{i}" for i in range(queues)]
        self.aging = {q: 120.0 for q in self.queues[::2]}
        self.now = now
        self.serial = 0
        self.calls = [self.call(now - self.rng.uniform(0, 600)) for _ in range(calls)]
        self.agents = [self.agent(i) for i in range(agents)]

    def call(self, entered_at: float) -> WaitingCall:
        self.serial += 1
        skills = {"french": 1} if self.rng.random() < 0.1 else {}
        return WaitingCall(f"call{self.serial}", f"PJSIP/carrier-{self.serial}",
                           self.rng.choice(self.queues), entered_at, self.rng.randint(0, 2),
                           skills=skills)

    def agent(self, i: int) -> Agent:
        home = self.queues[i % len(self.queues)]
        queues = {q: 1 for q in self.rng.sample(self.queues, 2)} | {home: 0}
        return Agent(AgentProfile(f"agent{i}", f"PJSIP/agent{i}", queues,
                                  {"french": 2} if i % 2 else {}),
                     AgentState.AVAILABLE, since=self.now, idle_since=self.now - i * 0.01)


async def fill(store: QueueStore, population: Population, batch: int = 16) -> None:
    """Concurrently by `batch`: 100,000 Redis round trips one by one take minutes."""
    calls, agents = population.calls, population.agents
    for start in range(0, len(calls), batch):
        await asyncio.gather(*map(store.add_call, calls[start:start + batch]))
    for start in range(0, len(agents), batch):
        await asyncio.gather(*map(store.put_agent, agents[start:start + batch]))


async def cycle(store: QueueStore, population: Population) -> float:
    """One decision, timed, then the population restored: seconds the decision took."""
    at = time.time()
    start = time.perf_counter()
    pair = await store.offer_next(at)
    took = time.perf_counter() - start
    if pair is None:
        raise SystemExit("no offer: the population ran dry")
    call, agent = pair
    await store.settle(call.call_id)
    await store.add_call(population.call(at))
    await store.put_agent(transition(agent, AgentState.AVAILABLE, at))
    return took


async def measure(store: QueueStore, population: Population,
                  decisions: int) -> dict[str, float]:
    await fill(store, population)
    for _ in range(200):  # warm up (script load, allocator)
        await cycle(store, population)
    start = time.perf_counter()
    timings = [await cycle(store, population) for _ in range(decisions)]
    elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(timings, n=100)
    return {"p50_ms": round(cuts[49] * 1000, 3), "p99_ms": round(cuts[98] * 1000, 3),
            "decisions_per_s": round(decisions / elapsed)}


def reference_p50_ms(population: Population, rounds: int = 15) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        next_offer(population.calls, population.agents, time.time(), population.aging)
        timings.append(time.perf_counter() - start)
    return round(statistics.median(timings) * 1000, 3)


async def run(calls: int, queues: int, agents: int, decisions: int) -> dict[str, float]:
    now = time.time()
    result: dict[str, float] = {"waiting": calls, "agents": agents}
    population = Population(calls, queues, agents, now)
    result["reference_p50_ms"] = reference_p50_ms(population)
    memory = await measure(MemoryStore(population.aging), population, decisions)
    with redis_server() as url:
        population = Population(calls, queues, agents, now)
        store = RedisStore.from_url(url, prefix="bench:", aging=population.aging)
        try:
            shared = await measure(store, population, decisions)
        finally:
            await store.close()
    for name, figures in (("memory", memory), ("redis", shared)):
        result.update({f"{name}_{key}": value for key, value in figures.items()})
    result["decisions_per_s"] = shared["decisions_per_s"]
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--queues", type=int, default=500)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=5_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.calls, args.queues, args.agents, args.decisions))
    print(json.dumps(result) if args.json
          else "\n".join(f"{key}: {value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
