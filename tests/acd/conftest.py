"""The ACD over the PBX simulator: real FastAGI running the shipped flows and the queue
announcements, real AMI, a Distributor on a memory store. Callers press 1-3 or 0 to pick a
queue (flows/main.yaml)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from contactcenter.acd.announcer import ANNOUNCE_CONTEXT, ANNOUNCE_FLOW, Announcer
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.store import QueueStore
from contactcenter.config import AmiConfig
from contactcenter.cti.bridge import AmiBridge
from contactcenter.events import EventBus
from contactcenter.ivr.fastagi import AgiRoutes, FastAgiServer
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.queue.memory_store import MemoryStore
from contactcenter.queue_config import QueueDefinition
from contactcenter.sim import PbxSimulator, ScriptedAgent
from contactcenter.speech.tts import PromptRenderer
from tests.helpers import CuttableLink

FLOWS = Path(__file__).parents[2] / "flows"
KEYS = {"billing": "1", "support": "2", "sales": "3", "operator": "0"}
E = TypeVar("E")


@dataclass
class AcdRig:
    sim: PbxSimulator
    acd: Distributor
    bridge: AmiBridge
    events: asyncio.Queue[object]
    seen: list[object]
    link: CuttableLink
    routes: AgiRoutes  # what FastAGI sessions run

    async def next(self, kind: type[E], where: Callable[[E], bool] = lambda _e: True,
                   within: float = 10.0) -> E:
        """The next event of `kind` that satisfies `where` (all events are kept in seen)."""
        async with asyncio.timeout(within):
            while True:
                event = await self.events.get()
                self.seen.append(event)
                if isinstance(event, kind) and where(event):
                    return event

    def drain(self) -> list[object]:
        while not self.events.empty():
            self.seen.append(self.events.get_nowait())
        return self.seen

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.drain() if isinstance(e, kind)]


@contextlib.asynccontextmanager
async def acd_rig(tmp_path: Path, *, agents: Mapping[str, ScriptedAgent] | None = None,
                  queues: Mapping[str, QueueDefinition] | None = None,
                  customers: Mapping[str, ScriptedAgent] | None = None,
                  store: QueueStore | None = None, chaos: int | None = None,
                  prompts: Path | None = None, agi_port: int | None = None,
                  seed: int | None = None, **distributor: Any) -> AsyncIterator[AcdRig]:
    """Everything up and linked (the AMI through a link the test may cut); closes in
    reverse order. The simulator dials back `customers` with a 0.5 s Dial timeout; with
    `chaos`, it interleaves events with that seed. `prompts`: a prompt cache to share.
    `agi_port`: where the simulator's calls look for FastAGI (default: the IVR's port).
    `seed`: the simulator's random arrivals (run_traffic's rate)."""
    bus = EventBus()
    registry = FlowRegistry(FLOWS)
    registry.reload()
    renderer = PromptRenderer(prompts or tmp_path / "prompts")
    service = IvrService(registry, renderer, bus)
    routes = AgiRoutes(service.handle)  # announcements once the distributor exists
    with bus.subscribe() as events:
        async with FastAgiServer(routes, port=0) as agi, \
                PbxSimulator(agi_port=agi_port or agi.port, agents=agents or {},
                             agi_contexts={ANNOUNCE_CONTEXT: ANNOUNCE_FLOW},
                             customers=customers, callback_dial_seconds=0.5,
                             overflow_seconds=0.05, chaos=chaos, seed=seed) as sim, \
                CuttableLink(sim.ami_port) as link:
            bridge = AmiBridge(AmiConfig(port=link.port, secret="ccsecret"), bus,
                               first_retry=0.02)
            async with Distributor(store or MemoryStore(), bridge, bus, queues=queues,
                                   **{"tick_seconds": 0.05, **distributor}) as acd:
                routes.scripts[ANNOUNCE_FLOW] = Announcer(acd, renderer).handle
                async with bridge:
                    yield AcdRig(sim, acd, bridge, events, [], link, routes)
