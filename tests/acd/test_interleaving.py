"""The ACD under every event order a real Asterisk produces (issue 9): whole calls over the
simulator in its interleaving mode (events of different channels in any order consistent
with each channel's own, plus noise), under many seeds. Every seed mixes: agents who hang
up first and callers who hang up first, a phone that never answers, callers who give up
while waiting or while an agent's phone rings, a callback asked for in an announcement,
and announcements running while agents free up (so a caller is taken out of an
announcement, and a Bridge without `x` would send them back into music on hold).

What must hold for every seed: every call the ACD queued ends once, as the simulator says
it ended (none lost); no caller is offered while ringing or bridged, or bridged twice (none
offered twice); no caller is left in music on hold unknown to the ACD; calls are first
offered in the order they entered (FIFO).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import pytest

from contactcenter.acd.agents import AgentProfile, AgentState
from contactcenter.acd.events import CallConnected, CallEnded, CallOffered, CallQueued
from contactcenter.queue_config import Announcements, QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller, SimCall
from contactcenter.sim.stats import CallOutcome
from tests.acd.conftest import KEYS, AcdRig, acd_rig

SEEDS = 200
BATCH = 40  # seeds run side by side in one event loop, each with its own simulator
CUSTOMER = "+14155550199"  # answers the callback
AGENTS = {
    "agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.15),  # hangs up first
    "agent102": ScriptedAgent(answer_after=0.1, talk_seconds=3.0),  # the caller hangs up first
    "agent103": ScriptedAgent(answer_after=None),  # never answers: ring-no-answer
}
QUEUES = {"support": QueueDefinition(
    "support", ring_timeout_seconds=0.3, wrap_up_seconds=0.05,
    announcements=Announcements(on_entry=True, every_seconds=0.4))}
OUTCOMES = {CallOutcome.ANSWERED: "answered", CallOutcome.ABANDONED: "abandoned"}


def callers(rng: random.Random) -> list[ScriptedCaller]:
    """Nine callers whose order and timing the seed shuffles. Those who talk 1 s hang up
    first only with agent102 (agent101 hangs up after 0.15 s)."""
    support = KEYS["support"]
    people = [ScriptedCaller(number=f"+1415555{n:04d}", answers=(support,), think_seconds=0.05,
                             talk_seconds=talk)
              for n, talk in enumerate([1.0, 1.0, 1.0, 0.1, 0.1, 1.0])]
    people += [
        ScriptedCaller(number="+14155551006", answers=(support,), patience=0.2,
                       talk_seconds=1.0),
        ScriptedCaller(number="+14155551007", answers=(support,), patience=0.6,
                       talk_seconds=1.0),
        ScriptedCaller(number=CUSTOMER, answers=(support, "1"), think_seconds=0.05,
                       talk_seconds=1.0),
    ]
    rng.shuffle(people)
    return people


async def run_seed(seed: int, tmp_path: Path, prompts: Path) -> None:
    rng = random.Random(seed)
    async with acd_rig(tmp_path / str(seed), agents={f"SIP/{a}": p for a, p in AGENTS.items()},
                       queues=QUEUES, customers={CUSTOMER: ScriptedAgent(answer_after=0.05)},
                       chaos=seed, prompts=prompts, callback_retry_seconds=0.2) as rig:
        for agent in AGENTS:
            await rig.acd.register_agent(AgentProfile(agent, f"SIP/{agent}", {"support": 0}))
            await rig.acd.login(agent)
        calls = []
        for caller in callers(rng):
            calls.append(rig.sim.place_call(caller))
            await asyncio.sleep(rng.uniform(0.0, 0.15))
        for _ in range(120):  # the phone that never answers is paused each time: back to work
            if all(call.ended.is_set() for call in calls) and settled(rig.drain()):
                break
            agent = await rig.acd.store.agent("agent103")
            if agent is not None and agent.state is AgentState.PAUSED:
                await rig.acd.set_available("agent103")
            await asyncio.sleep(0.25)
        await asyncio.sleep(0.3)  # the last events cross the link
        check(seed, rig, calls, rig.drain())


def settled(events: list[object]) -> bool:
    """Every call the ACD queued (the callback too) has ended."""
    queued = {e.call_id for e in events if isinstance(e, CallQueued)}
    return queued <= {e.call_id for e in events if isinstance(e, CallEnded)}


def check(seed: int, rig: AcdRig, calls: list[SimCall], events: list[object]) -> None:
    where = f"seed {seed}"
    queued = {e.call_id for e in events if isinstance(e, CallQueued)}
    unended = queued - {e.call_id for e in events if isinstance(e, CallEnded)}
    assert not unended, f"{where}: never ended: " + "; ".join(
        " ".join(trail(events, call_id)) for call_id in unended)
    assert all(call.ended.is_set() for call in calls), where
    queued = {e.call_id: e for e in events if isinstance(e, CallQueued)}
    ended = Counter(e.call_id for e in events if isinstance(e, CallEnded))
    assert all(n == 1 for n in ended.values()), (where, ended)
    outcomes = {e.call_id: e.outcome for e in events if isinstance(e, CallEnded)}
    for call in calls:
        if call.uniqueid in queued and call.caller.number != CUSTOMER:
            assert outcomes.get(call.uniqueid) == OUTCOMES.get(call.outcome), (where, call)
    connected = Counter(e.call_id for e in events if isinstance(e, CallConnected))
    assert all(n == 1 for n in connected.values()), (where, connected)
    assert rig.sim.stats.double_offers == 0, where
    assert rig.sim.waiting_in_moh() == [], where
    fifo(where, events)


def trail(events: list[object], call_id: str) -> list[str]:
    """What happened to one call, to read when a seed fails."""
    return [f"{type(e).__name__}:{getattr(e, 'agent_id', '')}:{getattr(e, 'state', '')}"
            f":{getattr(e, 'outcome', '')}" for e in events
            if call_id in (getattr(e, "call_id", None), getattr(e, "uniqueid", None))
            and type(e).__name__ not in ("CallVariableSet", "CallHoldStopped")]


def fifo(where: str, events: list[object]) -> None:
    """Each first offer takes the oldest call then queued and not yet offered or ended."""
    entered: dict[str, float] = {}
    pending: set[str] = set()
    for event in events:
        if isinstance(event, CallQueued):
            entered[event.call_id] = event.entered_at
            pending.add(event.call_id)
        elif isinstance(event, CallOffered) and event.call_id in pending:
            older = [c for c in pending if entered[c] < entered[event.call_id]]
            assert not older, (where, event.call_id, older)
            pending.discard(event.call_id)
        elif isinstance(event, CallEnded):
            pending.discard(event.call_id)


@pytest.mark.parametrize("batch", range(SEEDS // BATCH))
async def test_one_caller_one_offer_one_bridge_under_every_order(batch: int, tmp_path: Path,
                                                                  prompt_cache: Path) -> None:
    seeds = range(batch * BATCH, (batch + 1) * BATCH)
    await asyncio.gather(*(run_seed(seed, tmp_path, prompt_cache) for seed in seeds))


@pytest.fixture(scope="module")
def prompt_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prompt cache for all seeds: the same announcements are rendered once."""
    return tmp_path_factory.mktemp("prompts")
