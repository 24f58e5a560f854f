"""The ACD end to end over the PBX simulator: real FastAGI, real AMI, the shipped flows.
Callers press 2 (support); one agent answers, one never does; some callers give up.
Every call must end answered or abandoned, none lost, none offered twice."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.events import AgentStateChanged, CallConnected, CallEnded, CallOffered
from contactcenter.config import AmiConfig
from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.events import AgentLegRinging
from contactcenter.events import EventBus
from contactcenter.ivr.fastagi import FastAgiServer
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.queue.memory_store import MemoryStore
from contactcenter.queue_config import Announcements, QueueDefinition
from contactcenter.sim import PbxSimulator, ScriptedAgent, ScriptedCaller
from contactcenter.sim.stats import CallOutcome
from contactcenter.speech.tts import PromptRenderer
from tests.acd.conftest import KEYS, acd_rig
from tests.helpers import eventually

FLOWS = Path(__file__).parents[2] / "flows"


async def test_every_call_ends_answered_or_abandoned_none_offered_twice(tmp_path) -> None:
    bus = EventBus()
    registry = FlowRegistry(FLOWS)
    registry.reload()
    ivr = IvrService(registry, PromptRenderer(tmp_path / "prompts"), bus)
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.1, talk_seconds=0.3),
              "SIP/agent102": ScriptedAgent(answer_after=None)}
    callers = [ScriptedCaller(number=f"+1415555010{i}", answers=("2",),
                              patience=0.4 if i in (2, 4) else None) for i in range(6)]
    with bus.subscribe() as events:
        async with FastAgiServer(ivr.handle, port=0) as agi, \
                PbxSimulator(agi_port=agi.port, agents=agents) as sim:
            bridge = AmiBridge(AmiConfig(port=sim.ami_port, secret="ccsecret"), bus)
            # The defaults would ring the silent agent and wrap up too long for the test's
            # 20 s: it passes only if the support queue's own timers are used.
            support = QueueDefinition("support", ring_timeout_seconds=0.3, wrap_up_seconds=0.05)
            async with Distributor(MemoryStore(), bridge, bus, ring_timeout_ms=60000,
                                   wrap_up_seconds=60, queues={"support": support}) as acd:
                for agent in ("agent101", "agent102"):
                    await acd.register_agent(AgentProfile(agent, f"SIP/{agent}", {"support": 0}))
                    await acd.login(agent)
                async with bridge:
                    calls = [sim.place_call(c) for c in callers]
                    await asyncio.wait_for(asyncio.gather(*(c.wait() for c in calls)), 20)
                    await asyncio.sleep(0.2)
                    board = await acd.wallboard()
        seen = [events.get_nowait() for _ in range(events.qsize())]
    ended = [e for e in seen if isinstance(e, CallEnded)]
    assert sorted(e.call_id for e in ended) == sorted(c.uniqueid for c in calls)  # none lost
    assert {e.outcome for e in ended} <= {"answered", "abandoned"}
    answered = [e for e in ended if e.outcome == "answered"]
    assert answered and all(e.agent_id == "agent101" for e in answered)
    assert sim.stats.answered == len(answered) and sim.stats.double_offers == 0
    assert any(isinstance(e, AgentStateChanged) and e.agent_id == "agent102"
               and e.reason == "no answer" for e in seen)
    offers = [e for e in seen if isinstance(e, CallOffered)]
    assert all(e.caller_num.startswith("+1415555010") for e in offers)
    support = board["queues"]["support"]  # the wallboard counts what the events say
    abandoned = len(ended) - len(answered)
    short = sum(e.outcome == "abandoned" and e.wait_s < 5.0 for e in ended)  # under 5 s
    assert (support["answered"], support["abandoned"], support["short_abandoned"]) == (
        len(answered), abandoned - short, short)
    assert (board["answered"], board["abandoned"], board["overflowed"]) == (
        len(answered), abandoned, 0)
    assert support["waiting"] == 0 and support["agents"]["paused"] == 1
    assert support["asa_s"] is not None and support["aht_s"] >= 0.3  # talk 0.3 + wrap-up


async def test_a_call_ringing_an_agent_who_logs_out_goes_to_the_next_agent(tmp_path) -> None:
    agents = {"SIP/agent101": ScriptedAgent(answer_after=None),
              "SIP/agent102": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    queues = {"support": QueueDefinition("support", ring_timeout_seconds=30,
                                         announcements=Announcements(on_entry=False))}
    async with acd_rig(tmp_path, agents=agents, queues=queues) as rig:
        for agent in ("agent101", "agent102"):
            await rig.acd.register_agent(AgentProfile(agent, f"SIP/{agent}", {"support": 0}))
        await rig.acd.login("agent101")
        call = rig.sim.place_call(ScriptedCaller(answers=(KEYS["support"],)))
        await rig.next(AgentLegRinging)
        await rig.acd.logout("agent101")  # while their phone rings
        await rig.acd.login("agent102")
        assert await asyncio.wait_for(call.wait(), 10) is CallOutcome.ANSWERED
        await rig.next(CallEnded)
        await eventually(lambda: not rig.sim.channels)  # agent101's leg was hung up, not left
    assert [e.agent_id for e in rig.of(CallConnected)] == ["agent102"]
    assert [(e.call_id, e.outcome) for e in rig.of(CallEnded)] == [(call.uniqueid, "answered")]
    assert rig.sim.stats.double_offers == 0


async def test_the_distributor_forgets_each_call_once_it_ended(tmp_path) -> None:
    """Per-call state (caller ids, channel variables, offers, entry tokens, timers, the
    board's talk times) is dropped as calls end: after 24 calls, some answered, one not
    picked up, some abandoned, a ring-no-answer among them, nothing of them is left."""
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.02, talk_seconds=0.05),
              "SIP/agent102": ScriptedAgent(answer_after=0.02, talk_seconds=0.05),
              "SIP/agent103": ScriptedAgent(answer_after=None)}
    queues = {"support": QueueDefinition("support", ring_timeout_seconds=0.2,
                                         wrap_up_seconds=0.02,
                                         announcements=Announcements(on_entry=False))}
    async with acd_rig(tmp_path, agents=agents, queues=queues) as rig:
        for agent in ("agent101", "agent102", "agent103"):
            await rig.acd.register_agent(AgentProfile(agent, f"SIP/{agent}", {"support": 0}))
            await rig.acd.login(agent)
        calls = [rig.sim.place_call(ScriptedCaller(number=f"+1415555{i:04}",
                                                   answers=(KEYS["support"],),
                                                   patience=0.1 if i % 4 == 0 else None))
                 for i in range(24)]
        outcomes = await asyncio.wait_for(asyncio.gather(*(c.wait() for c in calls)), 30)
        await eventually(lambda: not rig.sim.channels)
        acd = rig.acd

        def held() -> dict[str, int]:
            per_call = {"vars": acd._vars, "callers": acd._callers, "offers": acd._offers,
                        "by_action": acd._by_action, "by_leg": acd._by_leg,
                        "entered": acd._entered, "refusals": acd._refusals,
                        "finished": acd._finished, "talk": acd.metrics._talk,
                        "wrapping": acd.metrics._wrapping, "joined": acd._watch._joined,
                        "announced": acd._watch._announced,
                        "timers": [t for t in acd._timers if not t.get_name().startswith("acd-")]}
            return {name: len(kept) for name, kept in per_call.items() if kept}

        with contextlib.suppress(TimeoutError):  # the last wrap-up may still run
            await eventually(lambda: not held())
        assert held() == {}
    assert CallOutcome.ANSWERED in outcomes and CallOutcome.ABANDONED in outcomes
    assert rig.sim.stats.double_offers == 0
    assert any(e.reason == "no answer" for e in rig.of(AgentStateChanged))
