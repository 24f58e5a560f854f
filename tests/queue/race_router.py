"""One racing router for test_redis_race, run as `python -m tests.queue.race_router URL
PREFIX`: loops offer_next on the shared store until PREFIX + "stop" exists and nothing is
left to offer, and prints each offer as a JSON line with what it saw while holding it."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time

from redis.asyncio import Redis

from contactcenter.acd.agents import Agent, AgentState, transition
from contactcenter.acd.routing import WaitingCall
from contactcenter.queue.redis_store import RedisStore


async def route(url: str, prefix: str) -> None:
    store = RedisStore.from_url(url, prefix=prefix)
    witness = Redis.from_url(url, decode_responses=True)
    rng = random.Random(os.getpid())
    print("ready", flush=True)
    try:
        while True:
            pair = await store.offer_next(time.time())
            if pair is None:
                if await witness.exists(f"{prefix}stop"):
                    return
                await asyncio.sleep(0.001)
                continue
            seen = await hold(store, witness, prefix, *pair, rng)
            print(json.dumps(seen), flush=True)
    finally:
        await store.close()
        await witness.aclose()


async def hold(store: RedisStore, witness: Redis, prefix: str, call: WaitingCall,
               agent: Agent, rng: random.Random) -> dict[str, object]:
    """Hold the offer a moment, claiming the call and the agent with SET NX (a claim fails
    if another router holds either), then release it: settled, or back to the queue as
    after a ring-no-answer, and the agent available again."""
    claims = [f"{prefix}holder:call:{call.call_id}", f"{prefix}holder:agent:{agent.agent_id}"]
    alone = [bool(await witness.set(key, os.getpid(), nx=True)) for key in claims]
    await asyncio.sleep(rng.uniform(0, 0.002))
    record = await store.agent(agent.agent_id)
    await witness.delete(*[key for key, mine in zip(claims, alone, strict=True) if mine])
    requeued = rng.random() < 0.2
    released = await (store.return_to_queue if requeued else store.settle)(call.call_id)
    await store.put_agent(transition(agent, AgentState.AVAILABLE, time.time()))
    return {"call": call.call_id, "agent": agent.agent_id, "alone": alone,
            "record_is_this_offer": record == agent, "released": released is not None,
            "requeued": requeued, "pid": os.getpid()}


if __name__ == "__main__":
    asyncio.run(route(sys.argv[1], sys.argv[2]))
