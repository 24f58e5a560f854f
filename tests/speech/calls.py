"""Calls over the simulator's audio path: the platform's IVR with a recogniser behind its
AudioSocket server, the simulator streaming scripted callers' speech in real time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from contactcenter.config import AmiConfig
from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.events import CallVariableSet
from contactcenter.events import EventBus
from contactcenter.ivr.events import IvrFinished
from contactcenter.ivr.fastagi import FastAgiServer
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.ivr.voice import VoiceTurns
from contactcenter.sim import PbxSimulator, ScriptedCaller
from contactcenter.speech.audiosocket import AudioSocketServer
from contactcenter.speech.listen import ListenSettings
from contactcenter.speech.pool import RecognitionPool
from contactcenter.speech.recognizer import Recognizer
from contactcenter.speech.tts import PromptRenderer

FLOWS = Path(__file__).parents[2] / "flows"
QUICK = ListenSettings(end_silence_ms=500, result_s=2.0)


@dataclass
class CallRecord:
    variables: dict[str, str]
    finished: IvrFinished


@contextlib.asynccontextmanager
async def voice_turns(recognizer: Recognizer, *, max_streams: int = 4,
                      settings: ListenSettings = QUICK) -> AsyncIterator[VoiceTurns]:
    async with RecognitionPool(recognizer, max_streams=max_streams) as pool, \
            AudioSocketServer() as server:
        yield VoiceTurns(pool, server, f"127.0.0.1:{server.port}", settings=settings)


async def place_calls(tmp_path: Path, callers: Sequence[ScriptedCaller],
                      voice: VoiceTurns | None, *, flows: Path = FLOWS, flow: str = "main",
                      seconds: float = 60.0) -> list[CallRecord]:
    """Each caller through the IVR; the CC_* variables its channel got and how it ended."""
    bus = EventBus()
    registry = FlowRegistry(flows)
    assert registry.reload() == []
    ivr = IvrService(registry, PromptRenderer(tmp_path / "prompts"), bus, voice=voice)
    with bus.subscribe() as events:
        async with FastAgiServer(ivr.handle, port=0) as agi, \
                PbxSimulator(agi_port=agi.port, flow=flow) as sim, \
                AmiBridge(AmiConfig(port=sim.ami_port, secret="ccsecret"), bus):
            calls = [sim.place_call(caller) for caller in callers]
            for _ in range(int(seconds / 0.05)):
                if all(c.phase in ("waiting", "done") for c in calls):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
        seen = [events.get_nowait() for _ in range(events.qsize())]
    records = []
    for call in calls:
        [finished] = [e for e in seen if isinstance(e, IvrFinished)
                      and e.uniqueid == call.uniqueid]
        variables = {e.name: e.value for e in seen
                     if isinstance(e, CallVariableSet) and e.channel == call.channel}
        records.append(CallRecord(variables, finished))
    return records
