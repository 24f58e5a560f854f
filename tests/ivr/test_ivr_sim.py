"""End to end over the PBX simulator: scripted callers drive the shipped main flow through
the FastAGI server; what reaches Asterisk (CC_* variables, music on hold) is read back
through the AMI bridge, as the ACD will read it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs

from contactcenter.config import AmiConfig
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.events import CallVariableSet, CallWaiting
from contactcenter.events import EventBus
from contactcenter.ivr.crm_lookup import crm_lookup
from contactcenter.ivr.events import IvrFinished
from contactcenter.ivr.fastagi import FastAgiServer
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.sim import PbxSimulator, ScriptedCaller
from contactcenter.speech.tts import PromptRenderer, SpeechError

FLOWS = Path(__file__).parents[2] / "flows"


async def run_callers(tmp_path: Path, callers: list[ScriptedCaller],
                      **service: object) -> list[object]:
    bus = EventBus()
    registry = FlowRegistry(FLOWS)
    assert registry.reload() == []
    ivr = IvrService(registry, PromptRenderer(tmp_path / "prompts"), bus, **service)
    with bus.subscribe() as events:
        async with FastAgiServer(ivr.handle, port=0) as agi, \
                PbxSimulator(agi_port=agi.port) as sim, \
                AmiBridge(AmiConfig(port=sim.ami_port, secret="ccsecret"), bus):
            calls = [sim.place_call(caller) for caller in callers]
            for _ in range(300):
                if all(c.phase in ("waiting", "done") for c in calls):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)
        return [events.get_nowait() for _ in range(events.qsize())]


async def test_keys_reach_the_billing_queue_with_the_account(tmp_path: Path) -> None:
    events = await run_callers(tmp_path, [ScriptedCaller(answers=("1", "1001#"))])
    variables = {e.name: e.value for e in events if isinstance(e, CallVariableSet)}
    assert variables["CC_QUEUE"] == "billing"
    assert parse_qs(variables["CC_FIELDS"]) == {"account": ["1001"]}
    assert variables["CC_IVR_PATH"] == ("main:identify,main:welcome,main:menu,main:account,"
                                        "main:find_account,main:billing")  # no CRM here
    assert any(isinstance(e, CallWaiting) for e in events)  # parked in music on hold
    [finished] = [e for e in events if isinstance(e, IvrFinished)]
    assert (finished.outcome, finished.last_step) == ("queued", "billing")


async def test_the_crm_greets_ada_and_her_account_fills_the_screen_pop(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'crm.db'}")
    try:
        Customers(db).create(name="Ada Lovelace", phones=["+14155550123"],
                             account_number="1001", segment="vip")
        events = await run_callers(tmp_path, [ScriptedCaller(answers=("1", "1001#"))],
                                   lookup=crm_lookup(db))
    finally:
        db.close()
    variables = {e.name: e.value for e in events if isinstance(e, CallVariableSet)}
    assert parse_qs(variables["CC_FIELDS"]) == {
        "account": ["1001"], "customer_name": ["Ada Lovelace"], "customer_segment": ["vip"]}
    assert variables["CC_IVR_PATH"] == ("main:identify,main:welcome_back,main:menu,"
                                        "main:account,main:find_account,main:billing")


async def test_caller_hanging_up_mid_menu_is_recorded_where_they_dropped(tmp_path: Path) -> None:
    events = await run_callers(tmp_path, [ScriptedCaller(hangup_after_commands=1)])
    [finished] = [e for e in events if isinstance(e, IvrFinished)]
    assert (finished.outcome, finished.last_step) == ("caller_hung_up", "menu")
    assert not any(isinstance(e, CallWaiting) for e in events)


class BrokenRenderer(PromptRenderer):
    def render(self, text: str, voice: str | None = None) -> Path:
        raise SpeechError("espeak-ng is gone")


async def test_unrenderable_prompts_take_the_error_path_not_the_call(tmp_path: Path) -> None:
    """With no speech at all, the caller still reaches a queue: the menu times out into
    on_exhausted (operator), as the flow says."""
    bus = EventBus()
    registry = FlowRegistry(FLOWS)
    registry.reload()
    ivr = IvrService(registry, BrokenRenderer(tmp_path), bus)
    with bus.subscribe() as events:
        async with FastAgiServer(ivr.handle, port=0) as agi, \
                PbxSimulator(agi_port=agi.port) as sim:
            call = sim.place_call(ScriptedCaller(answers=("2",)))
            for _ in range(100):
                if call.phase != "ivr":
                    break
                await asyncio.sleep(0.02)
        found = [events.get_nowait() for _ in range(events.qsize())]
    [finished] = [e for e in found if isinstance(e, IvrFinished)]
    assert (finished.outcome, finished.last_step) == ("queued", "operator")
