"""The new steps at run time, over the PBX simulator: what the runtime does with Lookup
(the injected CRM callable), and what reaches the channel and the event bus."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contactcenter.events import EventBus
from contactcenter.ivr.events import CallbackRequested, IvrFinished
from contactcenter.ivr.fastagi import AgiReply, AgiSession, FastAgiServer
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.sim import PbxSimulator, ScriptedCaller
from contactcenter.sim.simulator import SimCall
from contactcenter.speech.tts import PromptRenderer


async def call_flow(tmp_path: Path, flow: str, caller: ScriptedCaller,
                    **service: object) -> tuple[list[object], list[str], SimCall]:
    """One caller through `flow` (a flow file's text): every event published meanwhile and
    every AGI command the platform sent."""
    flows = tmp_path / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "queues.yaml").write_text("queues:\n  billing: {}\n  support: {}\n")
    (flows / "main.yaml").write_text(flow)
    registry = FlowRegistry(flows)
    assert registry.reload() == []
    bus = EventBus()
    ivr = IvrService(registry, PromptRenderer(tmp_path / "prompts"), bus, **service)
    commands: list[str] = []

    async def recorded(session: AgiSession) -> None:
        send = session.command

        async def command(line: str) -> AgiReply:
            commands.append(line)
            return await send(line)
        session.command = command  # type: ignore[method-assign]
        await ivr.handle(session)

    with bus.subscribe() as events:
        async with FastAgiServer(recorded, port=0) as agi, \
                PbxSimulator(agi_port=agi.port) as sim:
            call = sim.place_call(caller)
            for _ in range(200):
                if call.phase != "ivr":
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.05)  # the session's end reaches the bus
        return [events.get_nowait() for _ in range(events.qsize())], commands, call


def finished(events: list[object]) -> IvrFinished:
    [done] = [e for e in events if isinstance(e, IvrFinished)]
    return done


LOOKUP = """name: main
steps:
  who:
    lookup: {found: known, not_found: unknown}
    on_error: down
  known: {hangup: "Hello ${customer_name}."}
  unknown: {hangup: }
  down: {hangup: }
"""


async def test_the_injected_lookup_answers_the_lookup_step(tmp_path: Path) -> None:
    asked = []

    async def lookup(by: str, value: str) -> dict[str, str] | None:
        asked.append((by, value))
        return {"name": "Ada Lovelace"}

    events, _, _ = await call_flow(tmp_path, LOOKUP, ScriptedCaller(), lookup=lookup)
    assert asked == [("phone", "+14155550123")]
    assert finished(events).path == ("who", "known")


async def test_a_failing_or_missing_crm_takes_the_error_path(tmp_path: Path) -> None:
    async def broken(by: str, value: str) -> dict[str, str] | None:
        raise OSError("database is gone")

    events, _, _ = await call_flow(tmp_path, LOOKUP, ScriptedCaller(), lookup=broken)
    assert finished(events).path == ("who", "down")
    events, _, _ = await call_flow(tmp_path, LOOKUP, ScriptedCaller())
    assert finished(events).path == ("who", "down")


async def test_a_chosen_language_reaches_the_channel_and_the_voice(tmp_path: Path) -> None:
    flow = """name: main
languages: [en, es]
steps:
  choose:
    language: {prompt: Press 2 for Spanish., choices: {"2": es}}
    next: bye
  bye: {hangup: {en: Goodbye., es: Adiós.}}
"""
    _, commands, _ = await call_flow(tmp_path, flow, ScriptedCaller(answers=("2",)))
    spanish = PromptRenderer(tmp_path / "prompts").path_for("Adiós.", "es")
    assert 'SET VARIABLE CC_LANGUAGE "es"' in commands
    assert 'SET VARIABLE CHANNEL(language) "es"' in commands
    assert f'STREAM FILE {spanish} ""' in commands


async def test_voicemail_runs_on_the_channel_and_ends_the_session_as_voicemail(
        tmp_path: Path) -> None:
    flow = """name: main
steps:
  leave: {voicemail: {box: support, prompt: Leave a message.}, on_error: bye}
  bye: {hangup: }
"""
    events, commands, _ = await call_flow(tmp_path, flow, ScriptedCaller())
    assert 'EXEC VoiceMail "support@contactcenter,u"' in commands
    assert (finished(events).outcome, finished(events).last_step) == ("voicemail", "leave")


async def test_a_callback_request_reaches_the_bus_before_the_confirmation(tmp_path: Path) -> None:
    flow = """name: main
steps:
  offer:
    callback: {queue: support, confirm: We will call you back.}
    on_error: bye
  bye: {hangup: }
"""
    events, _, call = await call_flow(tmp_path, flow, ScriptedCaller(number="+14155550177"))
    [request] = [e for e in events if isinstance(e, CallbackRequested)]
    assert (request.call_id, request.queue, request.number, request.ivr_path) == (
        call.uniqueid, "support", "+14155550177", "main:offer")
    assert events.index(request) < events.index(finished(events))
    assert finished(events).outcome == "callback"
    assert call.phase == "done"  # no CC_QUEUE: the dialplan hung up
