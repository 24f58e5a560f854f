"""One contract for every queue store: the memory store and the Redis store (on a real
redis-server) must behave alike, and offer what the pure routing.next_offer would."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace

import pytest

from contactcenter.acd.agents import Agent, AgentProfile, AgentState, transition
from contactcenter.acd.routing import WaitingCall, next_offer
from contactcenter.acd.store import QueueStore
from contactcenter.errors import StoreConflict
from contactcenter.queue.memory_store import MemoryStore
from contactcenter.queue.redis_store import RedisStore

S = AgentState
MakeStore = Callable[..., Awaitable[QueueStore]]


@pytest.fixture(params=["memory", "redis"])
async def make_store(request: pytest.FixtureRequest) -> AsyncIterator[MakeStore]:
    """A factory of empty stores of one kind: `await make_store(aging={...})`."""
    opened: list[RedisStore] = []
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""

    async def make(aging: Mapping[str, float] | None = None) -> QueueStore:
        if request.param == "memory":
            return MemoryStore(aging)
        opened.append(RedisStore.from_url(url, prefix=f"test-{uuid.uuid4().hex}:", aging=aging))
        return opened[-1]

    yield make
    for store in opened:
        await store.close()


@pytest.fixture
async def store(make_store: MakeStore) -> QueueStore:
    return await make_store()


def agent(name: str, idle: float = 0.0, queues: Mapping[str, int] | None = None,
          skills: Mapping[str, int] | None = None, state: AgentState = S.AVAILABLE) -> Agent:
    return Agent(AgentProfile(name, f"PJSIP/{name}", queues or {"support": 0}, skills or {}),
                 state, idle_since=idle)


def call(cid: str, at: float, queue: str = "support", priority: int = 0,
         skills: Mapping[str, int] | None = None) -> WaitingCall:
    return WaitingCall(cid, f"PJSIP/carrier-{cid}", queue, at, priority, skills=skills or {})


async def fill(store: QueueStore, calls: list[WaitingCall], agents: list[Agent]) -> None:
    for c in calls:
        assert await store.add_call(c)
    for a in agents:
        await store.put_agent(a)


async def offers(store: QueueStore, at: float = 100.0) -> list[tuple[str, str]]:
    """Every offer the store makes until none is left: (call_id, agent_id)."""
    made = []
    while (pair := await store.offer_next(at)) is not None:
        made.append((pair[0].call_id, pair[1].agent_id))
    return made


async def test_a_call_is_added_once_while_held(store: QueueStore) -> None:
    full = WaitingCall("c1", "PJSIP/carrier-1", "billing", 1700000000.123456, 2, "+15551234",
                       "Ada", {"french": 2}, {"account": "42"}, "main>billing", "+15559876")
    assert await store.add_call(full)
    assert not await store.add_call(call("c1", 5.0))
    assert await store.waiting() == [full]
    await store.put_agent(agent("a", queues={"billing": 0}, skills={"french": 2}))
    assert (await store.offer_next(10.0))[0] == full
    assert not await store.add_call(full)  # offered is still held
    assert await store.waiting() == []
    assert await store.offered() == {"c1": (full, "a")}


async def test_one_queue_entry_joins_once_even_after_it_was_served(store: QueueStore) -> None:
    """A process that saw the caller parked in a stale snapshot (or read their music-on-hold
    start late) must not queue them again once another process has served them."""
    await store.put_agent(agent("a"))
    assert await store.add_call(call("c1", 1.0), "entry-1")
    assert (await store.offer_next(10.0))[0].call_id == "c1"
    assert (await store.settle("c1")).call_id == "c1"  # answered: it leaves the store
    assert not await store.add_call(call("c1", 1.0), "entry-1")  # the same entry, late
    assert await store.waiting() == []
    assert await store.add_call(call("c1", 5.0), "entry-2")  # a new entry (a transfer)
    assert await store.add_call(call("c2", 6.0))  # without a token: as before


async def test_removing_a_waiting_or_offered_call(store: QueueStore) -> None:
    await fill(store, [call("c1", 1.0), call("c2", 2.0)], [agent("a")])
    assert (await store.remove_call("c1")).call_id == "c1"
    assert await store.remove_call("c1") is None
    assert await offers(store) == [("c2", "a")]
    assert (await store.remove_call("c2")).call_id == "c2"
    assert await store.offered() == {} and await store.waiting() == []
    assert await store.add_call(call("c2", 2.0))  # forgotten, so it may come again


async def test_fifo_within_priority_and_higher_priority_first(store: QueueStore) -> None:
    await fill(store, [call("late", 3.0), call("early", 1.0), call("middle", 2.0),
                       call("vip", 9.0, priority=1), call("low", 0.5, priority=-1)],
               [agent(f"a{i}", idle=i) for i in range(5)])
    assert [c for c, _ in await offers(store)] == ["vip", "early", "middle", "late", "low"]


async def test_same_entry_time_goes_by_call_id_across_queues(store: QueueStore) -> None:
    everywhere = {"support": 0, "sales": 0, "billing": 0}
    await fill(store, [call("b", 1.0), call("B", 1.0, "sales"), call("a-1", 1.0, "billing")],
               [agent(f"a{i}", idle=i, queues=everywhere) for i in range(3)])
    assert [c for c, _ in await offers(store)] == ["B", "a-1", "b"]  # code point order


async def test_lowest_penalty_tier_then_longest_idle(store: QueueStore) -> None:
    await fill(store, [call(f"c{i}", i) for i in range(4)],
               [agent("backup", idle=1.0, queues={"support": 1}), agent("recent", idle=50.0),
                agent("idle", idle=10.0), agent("other-queue", idle=0.0, queues={"sales": 0})])
    assert await offers(store) == [("c0", "idle"), ("c1", "recent"), ("c2", "backup")]


async def test_skills_with_levels(store: QueueStore) -> None:
    await fill(store, [call("fr", 1.0, skills={"french": 2}), call("de", 2.0, skills={"german": 1}),
                       call("en", 3.0)],
               [agent("novice", idle=1.0, skills={"french": 1}),
                agent("fluent", idle=5.0, skills={"french": 3})])
    # "de" has nobody and does not block "en"; "fr" skips the longer-idle novice
    assert await offers(store) == [("fr", "fluent"), ("en", "novice")]
    assert [c.call_id for c in await store.waiting()] == ["de"]


async def test_ring_no_answer_returns_the_call_to_the_head_with_its_entry_time(
        store: QueueStore) -> None:
    await fill(store, [call("c1", 1.0), call("c2", 2.0)], [agent("a")])
    assert await offers(store) == [("c1", "a")]
    assert await store.add_call(call("c0", 1.5))  # joined while c1 was ringing
    back = await store.return_to_queue("c1")
    assert back == call("c1", 1.0)
    assert await store.return_to_queue("c1") is None  # no longer offered
    await store.put_agent(agent("b", idle=3.0))
    assert await offers(store) == [("c1", "b")]


async def test_settle_takes_an_offered_call_out(store: QueueStore) -> None:
    await fill(store, [call("c1", 1.0), call("c2", 2.0)], [agent("a")])
    await offers(store)
    assert await store.settle("c2") is None  # waiting, not offered: stays
    assert (await store.settle("c1")).call_id == "c1"
    assert await store.settle("c1") is None
    assert await store.offered() == {}
    assert [c.call_id for c in await store.waiting()] == ["c2"]
    assert await store.add_call(call("c1", 1.0))


async def test_an_agent_holds_at_most_one_offer(store: QueueStore) -> None:
    await fill(store, [call("c1", 1.0), call("s1", 2.0, queue="sales")],
               [agent("a", queues={"support": 0, "sales": 0})])
    pair = await store.offer_next(10.0, "process-1")
    assert pair is not None
    offered = transition(agent("a", queues={"support": 0, "sales": 0}), S.OFFERED, 10.0,
                         call_id="c1", owner="process-1")
    assert pair[1] == replace(offered, rev=2) and await store.agent("a") == pair[1]
    assert await store.offer_next(11.0) is None  # not again from either of its queues
    await store.put_agent(transition(pair[1], S.AVAILABLE, 12.0))
    assert await offers(store) == [("s1", "a")]


async def test_agents_are_kept_as_put(store: QueueStore) -> None:
    paused = Agent(AgentProfile("p", "PJSIP/p", {"support": 2}, {"french": 1}), S.PAUSED,
                   "lunch", 1700000000.25, 1699999999.5)
    await fill(store, [call("c1", 1.0)], [paused, agent("gone", state=S.LOGGED_OUT)])
    assert await store.agent("p") == replace(paused, rev=1)
    assert sorted(a.agent_id for a in await store.agents()) == ["gone", "p"]
    assert await store.offer_next(5.0) is None  # nobody available
    back = await store.put_agent(transition(replace(paused, rev=1), S.AVAILABLE, 3.0))
    await store.put_agent(replace(back, idle_since=4.0))  # put again: one entry
    assert await offers(store) == [("c1", "p")]


async def test_an_agent_write_must_name_the_revision_it_read(store: QueueStore) -> None:
    """Two processes (or a stale decision) never overwrite each other's agent change."""
    first = await store.put_agent(agent("a"))
    assert first.rev == 1
    with pytest.raises(StoreConflict):
        await store.put_agent(agent("a"))  # written as new, but "a" exists
    paused = await store.put_agent(transition(first, S.PAUSED, 2.0, reason="lunch"))
    with pytest.raises(StoreConflict):
        await store.put_agent(transition(first, S.LOGGED_OUT, 3.0))  # read before the pause
    assert await store.agent("a") == paused and paused.rev == 2
    assert await store.offer_next(4.0) is None  # the lost write made nobody available


async def test_an_abandon_takes_only_a_waiting_call(store: QueueStore) -> None:
    await fill(store, [call("c1", 1.0), call("c2", 2.0)], [agent("a")])
    assert await offers(store) == [("c1", "a")]
    assert await store.abandon("c1") is None  # offered: its offerer ends it
    assert list(await store.offered()) == ["c1"]
    assert (await store.abandon("c2")).call_id == "c2"
    assert await store.waiting() == []


async def test_leases_end_unless_renewed(store: QueueStore) -> None:
    await store.heartbeat("p1", 30.0)
    await store.heartbeat("p2", 0.05)
    assert await store.live_owners() == {"p1", "p2"}
    await asyncio.sleep(0.1)
    assert await store.live_owners() == {"p1"}
    await store.heartbeat("p2", 30.0)
    assert await store.live_owners() == {"p1", "p2"}


async def test_unknown_ids(store: QueueStore) -> None:
    assert await store.agent("nobody") is None
    assert await store.remove_call("nope") is None
    assert await store.return_to_queue("nope") is None
    assert await store.settle("nope") is None
    assert await store.offer_next(1.0) is None
    assert await store.agents() == [] and await store.waiting() == []


async def test_aging_lets_a_long_wait_pass_higher_priority(make_store: MakeStore) -> None:
    store = await make_store(aging={"support": 10.0})
    calls = [call("old", 0.0), call("vip", 25.0, priority=2),
             call("old-sales", 0.0, queue="sales"), call("vip-sales", 25.0, "sales", 2)]
    team = [agent("a", queues={"support": 0, "sales": 0})]
    await fill(store, calls, team)
    assert (await store.offer_next(15.0))[0].call_id == "vip"  # old: 0 + 1 step < 2
    assert await store.return_to_queue("vip")
    await store.put_agent(replace(team[0], rev=(await store.agent("a")).rev))
    assert (await store.offer_next(30.0))[0].call_id == "old"  # old: 0 + 3 steps > 2
    assert await store.settle("old")
    await store.put_agent(replace(team[0], rev=(await store.agent("a")).rev))
    assert await store.remove_call("vip")
    assert (await store.offer_next(300.0))[0].call_id == "vip-sales"  # sales does not age


async def test_offers_match_the_pure_routing_reference(make_store: MakeStore) -> None:
    """Random traffic: every offer equals routing.next_offer over the store's contents."""
    rng = random.Random(4)
    aging = {"q0": 7.0, "q1": 0.5}
    store = await make_store(aging=aging)
    queues = ["q0", "q1", "q2", "q3"]
    skills = ["fr", "de", "es"]
    at = 1700000000.0
    serial = made = 0
    for step in range(1000):
        at += rng.choice([0.0, 0.25, 1.0, 3.7])
        roll = rng.random()
        if roll < 0.45:
            serial += 1
            entered = at - rng.choice([0.0, 0.0, 1.0, rng.random() * 30])
            needs = {s: rng.randint(0, 3) for s in rng.sample(skills, rng.choice([0, 0, 1, 2]))}
            await store.add_call(call(rng.choice(["c", "C", "c-"]) + str(serial), entered,
                                      rng.choice(queues), rng.randint(-1, 2), needs))
        elif roll < 0.65:
            name = f"a{rng.randint(0, 25)}"
            member = {q: rng.randint(0, 2) for q in rng.sample(queues, rng.randint(1, 3))}
            has = {s: rng.randint(0, 3) for s in rng.sample(skills, rng.randint(0, 3))}
            state = rng.choice([S.AVAILABLE, S.AVAILABLE, S.PAUSED, S.LOGGED_OUT])
            known = await store.agent(name)
            await store.put_agent(Agent(AgentProfile(name, f"PJSIP/{name}", member, has), state,
                                        "break" if state is S.PAUSED else "", at,
                                        at - rng.choice([0.0, 5.0, 9.5]),
                                        rev=known.rev if known else 0))
        elif roll < 0.75 and (offered := await store.offered()):
            call_id = rng.choice(sorted(offered))
            await rng.choice([store.settle, store.return_to_queue, store.remove_call])(call_id)
        elif roll < 0.8 and (waiting := await store.waiting()):
            await store.remove_call(rng.choice(sorted(c.call_id for c in waiting)))
        else:
            expected = next_offer(await store.waiting(), await store.agents(), at, aging)
            got = await store.offer_next(at)
            if expected is None:
                assert got is None, step
            else:
                want_call, want_agent = expected
                assert got == (want_call, replace(
                    transition(want_agent, S.OFFERED, at, call_id=want_call.call_id),
                    rev=want_agent.rev + 1)), step
                made += 1
    assert made > 100  # the comparison really ran on offers


async def test_a_waiting_call_changes_queue_priority_and_entry_at_once(
        store: QueueStore) -> None:
    """A supervisor's act: the call takes its new place in the service order at once."""
    await fill(store, [call("c1", 1.0), call("c2", 2.0), call("s1", 3.0, "sales")],
               [agent("a", queues={"sales": 0})])
    moved = await store.update_waiting("c2", queue="sales")
    assert moved == call("c2", 2.0, "sales")  # its entry time kept: ahead of s1
    assert sorted(c.call_id for c in await store.waiting()) == ["c1", "c2", "s1"]
    assert await store.update_waiting("c1", priority=5) == call("c1", 1.0, priority=5)
    assert await store.update_waiting("s1", entered_at=0.5) == call("s1", 0.5, "sales")
    assert await offers(store) == [("s1", "a")]  # s1 reset before c2; c1 is not sales
    await store.put_agent(agent("b", idle=1.0, queues={"support": 0, "sales": 0}))
    assert await offers(store) == [("c1", "b")]  # priority 5 first


async def test_only_a_waiting_call_changes(store: QueueStore) -> None:
    await fill(store, [call("c1", 1.0), call("c2", 2.0)], [agent("a")])
    assert await offers(store) == [("c1", "a")]
    assert await store.update_waiting("c1", queue="sales") is None  # ringing: left alone
    assert await store.update_waiting("nope", priority=1) is None
    assert await store.offered() == {"c1": (call("c1", 1.0), "a")}
    assert await store.return_to_queue("c1") == call("c1", 1.0)
    assert await store.update_waiting("c2") == call("c2", 2.0)  # nothing given: as it was


async def test_changed_calls_are_offered_as_the_routing_reference_says(
        make_store: MakeStore) -> None:
    """Random moves, priorities and resets between offers: every offer still equals
    routing.next_offer over the store's contents (the indexes follow each change)."""
    rng = random.Random(9)
    aging = {"q0": 5.0}
    store = await make_store(aging=aging)
    queues = ["q0", "q1", "q2"]
    for i in range(6):
        await store.put_agent(agent(f"a{i}", idle=float(i), queues={
            q: rng.randint(0, 1) for q in rng.sample(queues, 2)}))
    at, made = 1000.0, 0
    for step in range(300):
        at += 1.0
        waiting = await store.waiting()
        roll = rng.random()
        if roll < 0.4 or not waiting:
            await store.add_call(call(f"c{step}", at - rng.random() * 20, rng.choice(queues),
                                      rng.randint(0, 2)))
        elif roll < 0.8:
            target = rng.choice(sorted(c.call_id for c in waiting))
            change = rng.choice([{"queue": rng.choice(queues)},
                                 {"priority": rng.randint(-1, 3)}, {"entered_at": at}])
            assert (await store.update_waiting(target, **change)) is not None
        else:
            expected = next_offer(waiting, await store.agents(), at, aging)
            got = await store.offer_next(at)
            assert (got and (got[0], got[1].agent_id)) == (
                expected and (expected[0], expected[1].agent_id)), step
            if got is not None:
                made += 1
                await store.settle(got[0].call_id)
                await store.put_agent(transition(got[1], S.AVAILABLE, at))
    assert made > 20
