"""The Redis store: queue order, agents and offers shared by several processes or hosts.

Every change is one Lua script (redis_store.lua, registered once), so an offer pops the
call and reserves the agent in one atomic step: no call is offered twice, no agent holds
two offers. Keys start with a prefix, so stores (or tests) can share one server; a prefix
with a hash tag such as "{cc}:" keeps every key in one Redis Cluster slot.
"""

from __future__ import annotations

import functools
import json
import struct
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from importlib.resources import files
from typing import Any, ParamSpec, TypeVar, cast

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import AbstractBackoff
from redis.commands.core import AsyncScript
from redis.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from contactcenter.acd.agents import Agent, AgentState
from contactcenter.acd.routing import WaitingCall, changed_call
from contactcenter.backoff import Backoff
from contactcenter.errors import StoreConflict, StoreError
from contactcenter.queue.codec import decode_agent, decode_call, encode_agent, encode_call

P = ParamSpec("P")
T = TypeVar("T")
RETRIES = 3  # a command that loses its connection is tried again this often (backoff.py)
CHANGE_RETRIES = 3  # a call changed by another process meanwhile is read again this often
SOCKET_TIMEOUT_S = 2.0  # a frozen server fails a command after this, rather than hang


def store_errors(
        method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Redis's errors (and the socket's) become StoreError at this edge, with what failed."""
    @functools.wraps(method)
    async def mapped(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as exc:
            raise StoreError(f"Redis {method.__name__} failed: {exc}") from exc
    return mapped


class _RetryBackoff(AbstractBackoff):
    """The project's backoff policy behind redis-py's interface, for its Retry."""

    def __init__(self, policy: Backoff) -> None:
        self._policy = policy

    def compute(self, failures: int) -> float:
        return self._policy.delay(failures - 1)


_LIBRARY = files(__package__).joinpath("redis_store.lua").read_text(encoding="utf-8")


def _script(redis: Redis, function: str) -> AsyncScript:
    return redis.register_script(f"{_LIBRARY}\nreturn {function}()\n")


def _client_options() -> dict[str, Any]:
    return {"decode_responses": True, "socket_timeout": SOCKET_TIMEOUT_S,
            "socket_connect_timeout": SOCKET_TIMEOUT_S,
            "retry": Retry(_RetryBackoff(Backoff(base=0.05, cap=0.5)), RETRIES,
                           (RedisConnectionError, RedisTimeoutError))}


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
    """`aging` maps a queue to its aging_seconds (routing.effective_priority). A call is
    kept with the step of the process that queued it (its group in the ready index), so
    processes sharing a prefix share queues.yaml."""

    def __init__(self, redis: Redis, prefix: str = "cc:",
                 aging: Mapping[str, float] | None = None,
                 sentinel: Sentinel | None = None) -> None:
        self._redis = redis
        self._sentinel = sentinel
        self._prefix = prefix
        self._aging = {queue: step for queue, step in (aging or {}).items() if step > 0}
        self._add_call = _script(redis, "add_call")
        self._release = _script(redis, "release")
        self._update_waiting = _script(redis, "update_waiting")
        self._put_agent = _script(redis, "put_agent")
        self._offer_next = _script(redis, "offer_next")
        self._heartbeat = _script(redis, "heartbeat")
        self._live_owners = _script(redis, "live_owners")

    @classmethod
    def from_url(cls, url: str, prefix: str = "cc:",
                 aging: Mapping[str, float] | None = None) -> RedisStore:
        """A store whose commands retry a lost connection with the backoff policy and fail
        (StoreError) rather than hang when the server is frozen."""
        return cls(Redis.from_url(url, **_client_options()), prefix, aging)

    @classmethod
    def from_sentinels(cls, sentinels: Sequence[tuple[str, int]], service: str,
                       url: str = "", prefix: str = "cc:",
                       aging: Mapping[str, float] | None = None) -> RedisStore:
        """A store on whichever server the sentinels name the primary of `service`, asked
        again at every new connection: after a failover the old primary refuses writes
        (READONLY) or drops its clients, the command is retried, and it reaches the new
        one. `url` gives the primary's password and database (its host is unused)."""
        sentinel = Sentinel(sentinels, socket_timeout=SOCKET_TIMEOUT_S,
                            socket_connect_timeout=SOCKET_TIMEOUT_S)
        given = parse_url(url) if url else {}
        redis = sentinel.master_for(service, **_client_options(), **{
            key: given[key] for key in ("db", "username", "password") if key in given})
        return cls(redis, prefix, aging, sentinel)

    @store_errors
    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
        for client in self._sentinel.sentinels if self._sentinel else ():
            await client.aclose()

    @store_errors
    async def add_call(self, call: WaitingCall, entry: str = "") -> bool:
        skills = json.dumps(dict(call.skills)) if call.skills else ""
        return bool(await self._add_call(args=[
            self._prefix, call.call_id, encode_call(call), call.queue, str(call.priority),
            repr(call.entered_at), skills, entry, repr(self._aging.get(call.queue, 0.0))]))

    async def remove_call(self, call_id: str) -> WaitingCall | None:
        return await self._release_call(call_id, "remove")

    async def abandon(self, call_id: str) -> WaitingCall | None:
        return await self._release_call(call_id, "abandon")

    async def return_to_queue(self, call_id: str) -> WaitingCall | None:
        return await self._release_call(call_id, "requeue")

    async def settle(self, call_id: str) -> WaitingCall | None:
        return await self._release_call(call_id, "settle")

    @store_errors
    async def _release_call(self, call_id: str, how: str) -> WaitingCall | None:
        found = await self._release(args=[self._prefix, call_id, how])
        return decode_call(found) if found else None

    @store_errors
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

    @store_errors
    async def update_waiting(self, call_id: str, *, queue: str | None = None,
                             priority: int | None = None,
                             entered_at: float | None = None) -> WaitingCall | None:
        """Read the call, change it, and write it only over what was read (the script
        compares): another process's change in between makes this one read again."""
        for _ in range(CHANGE_RETRIES):
            # decode_responses=True: a str, which redis-py's types cannot know
            text = cast("str | None", await self._redis.hget(f"{self._prefix}calls", call_id))
            if text is None:
                return None
            changed = changed_call(decode_call(text), queue, priority, entered_at)
            done = int(await self._update_waiting(args=[
                self._prefix, call_id, text, encode_call(changed), changed.queue,
                str(changed.priority), repr(changed.entered_at),
                repr(self._aging.get(changed.queue, 0.0))]))
            if done >= 0:
                return changed if done else None
        raise StoreConflict(f"call {call_id} keeps changing; not updated")

    @store_errors
    async def put_agent(self, agent: Agent) -> Agent:
        encoded = encode_agent(agent)
        del encoded["rev"]  # the script writes the next one
        fields = [item for pair in encoded.items() for item in pair]
        rev = await self._put_agent(args=[self._prefix, agent.agent_id,
                                          json.dumps(available_members(agent)),
                                          str(agent.rev), *fields])
        if int(rev) < 0:
            raise StoreConflict(f"agent {agent.agent_id} changed since revision {agent.rev}")
        return replace(agent, rev=int(rev))

    @store_errors
    async def agent(self, agent_id: str) -> Agent | None:
        fields = await self._redis.hgetall(f"{self._prefix}agent:{agent_id}")
        # decode_responses=True: replies are str, which redis-py's types cannot know
        return decode_agent(cast("dict[str, str]", fields)) if fields else None

    @store_errors
    async def agents(self) -> list[Agent]:
        ids = cast("set[str]", await self._redis.smembers(f"{self._prefix}agents"))
        async with self._redis.pipeline(transaction=False) as pipe:
            for agent_id in sorted(ids):
                pipe.hgetall(f"{self._prefix}agent:{agent_id}")
            return [decode_agent(fields) for fields in await pipe.execute()]

    @store_errors
    async def offer_next(self, at: float, owner: str = "") -> tuple[WaitingCall, Agent] | None:
        found = await self._offer_next(args=[self._prefix, repr(at), owner])
        if found is None:
            return None
        return decode_call(found[0]), decode_agent(dict(zip(found[1::2], found[2::2],
                                                            strict=True)))

    @store_errors
    async def heartbeat(self, owner: str, ttl_s: float) -> None:
        await self._heartbeat(args=[self._prefix, owner, str(round(ttl_s * 1000))])

    @store_errors
    async def live_owners(self) -> set[str]:
        return set(await self._live_owners(args=[self._prefix]))
