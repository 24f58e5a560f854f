"""Eight routers in eight OS processes race offer_next on one Redis store while calls and
agents arrive: no call is offered twice, no agent holds two offers, no call is lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from redis.asyncio import Redis

from contactcenter.acd.agents import Agent, AgentProfile, AgentState
from contactcenter.acd.routing import WaitingCall
from contactcenter.queue.redis_store import RedisStore

ROOT = Path(__file__).parents[2]
ROUTERS = 8
CALLS = 1500
QUEUES = ("billing", "support", "sales", "operator")


async def ready(proc: asyncio.subprocess.Process) -> bool:
    assert proc.stdout is not None
    return (await proc.stdout.readline()).strip() == b"ready"


async def read_offers(proc: asyncio.subprocess.Process) -> list[dict]:
    assert proc.stdout is not None
    return [json.loads(line) async for line in proc.stdout]


async def drained(store: RedisStore) -> None:
    for _ in range(400):
        if not (await store.waiting() or await store.offered()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("calls still held after 20 s")


async def traffic(store: RedisStore) -> None:
    """Calls join the four queues while agents log in (every agent serves every queue;
    one in two speaks French, which one call in ten needs)."""
    for i in range(CALLS):
        if i % 40 == 0:
            name = f"agent{i // 40}"
            await store.put_agent(Agent(AgentProfile(
                name, f"PJSIP/{name}", {q: (i // 40 + n) % 3 for n, q in enumerate(QUEUES)},
                {"french": 2} if i // 40 % 2 else {}), AgentState.AVAILABLE, idle_since=i))
        assert await store.add_call(WaitingCall(
            f"call{i}", f"PJSIP/carrier-{i}", QUEUES[i % 4], float(i), i % 3,
            skills={"french": 1} if i % 10 == 0 else {}))
        if i % 10 == 0:
            await asyncio.sleep(0)


@pytest.mark.timeout(40)
async def test_eight_processes_never_double_offer(redis_url: str) -> None:
    prefix = f"race-{uuid.uuid4().hex}:"
    store = RedisStore.from_url(redis_url, prefix=prefix)
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.queue.race_router", redis_url, prefix, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE) for _ in range(ROUTERS)]
    try:
        async with asyncio.timeout(20):
            assert all(await asyncio.gather(*map(ready, procs)))
            readers = [asyncio.create_task(read_offers(p)) for p in procs]
            await traffic(store)
            await drained(store)
            async with Redis.from_url(redis_url) as redis:
                await redis.set(f"{prefix}stop", 1)
            offers = [offer for reader in await asyncio.gather(*readers) for offer in reader]
            assert [await p.wait() for p in procs] == [0] * ROUTERS
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                with contextlib.suppress(ProcessLookupError):
                    await proc.wait()
        await store.close()

    clashes = [o for o in offers if o["alone"] != [True, True]]  # held by two at once
    assert clashes == []
    assert [o for o in offers if not (o["record_is_this_offer"] and o["released"])] == []
    offered = Counter(o["call"] for o in offers)
    requeued = Counter(o["call"] for o in offers if o["requeued"])
    assert set(offered) == {f"call{i}" for i in range(CALLS)}  # none lost
    assert all(offered[c] == requeued[c] + 1 for c in offered)  # each settled exactly once
    assert len({o["pid"] for o in offers}) == ROUTERS  # all eight really raced
