"""The Redis store: queue order, agents and offers shared by several processes or hosts.

Every change is one Lua script (redis_store.lua, registered once), so an offer pops the
call and reserves the agent in one atomic step: no call is offered twice, no agent holds
two offers. Keys start with a prefix, so stores (or tests) can share one server; a prefix
with a hash tag such as "{cc}:" keeps every key in one Redis Cluster slot.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from importlib.resources import files

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from contactcenter.acd.agents import Agent, AgentState
from contactcenter.acd.routing import WaitingCall
from contactcenter.queue.codec import decode_agent, decode_call, encode_agent, encode_call

_LIBRARY = files(__package__).joinpath("redis_store.lua").read_text(encoding="utf-8")


def _script(redis: Redis, function: str) -> AsyncScript:
    return redis.register_script(f"{_LIBRARY}\nreturn {function}()\n")


def sortable(number: float) -> str:
    """16 hex digits whose string order is the number order (IEEE 754 bits, sign flipped)."""
    bits = struct.unpack(">Q", struct.pack(">d", number + 0.0))[0]  # + 0.0: -0.0 is 0.0
    return f"{bits ^ (1 << 64) - 1 if bits >> 63 else bits | 1 << 63:016x}"


def available_members(agent: Agent) -> dict[str, str]:
    """queue -> member of that queue's available set, ordered as routing.agent_order."""
    if agent.state is not AgentState.AVAILABLE:
        return {}
    return {queue: f"{sortable(penalty)}{sortable(agent.idle_since)}{agent.agent_id}"
            for queue, penalty in agent.profile.queues.items()}


class RedisStore:
    """`aging` maps a queue to its aging_seconds (routing.effective_priority)."""

    def __init__(self, redis: Redis, prefix: str = "cc:",
                 aging: Mapping[str, float] | None = None) -> None:
        self._redis = redis
        self._prefix = prefix
        self._aging = json.dumps({q: s for q, s in (aging or {}).items() if s > 0})
        self._add_call = _script(redis, "add_call")
        self._release = _script(redis, "release")
        self._put_agent = _script(redis, "put_agent")
        self._offer_next = _script(redis, "offer_next")

    @classmethod
    def from_url(cls, url: str, prefix: str = "cc:",
                 aging: Mapping[str, float] | None = None) -> RedisStore:
        return cls(Redis.from_url(url, decode_responses=True), prefix, aging)

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()

    async def add_call(self, call: WaitingCall) -> bool:
        skills = json.dumps(dict(call.skills)) if call.skills else ""
        return bool(await self._add_call(args=[
            self._prefix, call.call_id, encode_call(call), call.queue, str(call.priority),
            repr(call.entered_at), skills]))

    async def remove_call(self, call_id: str) -> WaitingCall | None:
        return await self._release_call(call_id, "remove")

    async def return_to_queue(self, call_id: str) -> WaitingCall | None:
        return await self._release_call(call_id, "requeue")

    async def settle(self, call_id: str) -> WaitingCall | None:
        return await self._release_call(call_id, "settle")

    async def _release_call(self, call_id: str, how: str) -> WaitingCall | None:
        found = await self._release(args=[self._prefix, call_id, how])
        return decode_call(found) if found else None

    async def _held(self) -> tuple[dict[str, str], dict[str, str]]:
        """call_id -> call JSON for every call held, and call_id -> agent_id if offered."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(f"{self._prefix}calls")
            pipe.hgetall(f"{self._prefix}offered")
            calls, offered = await pipe.execute()
        return calls, offered

    async def waiting(self) -> list[WaitingCall]:
        calls, offered = await self._held()
        return [decode_call(text) for call_id, text in calls.items() if call_id not in offered]

    async def offered(self) -> dict[str, tuple[WaitingCall, str]]:
        calls, offered = await self._held()
        return {call_id: (decode_call(calls[call_id]), agent_id)
                for call_id, agent_id in offered.items()}

    async def put_agent(self, agent: Agent) -> None:
        fields = [item for pair in encode_agent(agent).items() for item in pair]
        await self._put_agent(args=[self._prefix, agent.agent_id,
                                    json.dumps(available_members(agent)), *fields])

    async def agent(self, agent_id: str) -> Agent | None:
        fields = await self._redis.hgetall(f"{self._prefix}agent:{agent_id}")
        return decode_agent(fields) if fields else None

    async def agents(self) -> list[Agent]:
        ids = await self._redis.smembers(f"{self._prefix}agents")
        async with self._redis.pipeline(transaction=False) as pipe:
            for agent_id in sorted(ids):
                pipe.hgetall(f"{self._prefix}agent:{agent_id}")
            return [decode_agent(fields) for fields in await pipe.execute()]

    async def offer_next(self, at: float) -> tuple[WaitingCall, Agent] | None:
        found = await self._offer_next(args=[self._prefix, repr(at), self._aging])
        if found is None:
            return None
        return decode_call(found[0]), decode_agent(dict(zip(found[1::2], found[2::2],
                                                            strict=True)))
