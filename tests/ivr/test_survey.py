"""The post-call survey: a menu keeps the chosen key `into` a variable, counted as a collected
answer; the shipped survey flow runs over real FastAGI when Asterisk sends a caller to
[cc-after-call] and reports the rating in IvrFinished; and a caller after their call never
lands in the inbound menu because the after-call flow is missing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from contactcenter.cti import variables as cc
from contactcenter.cti.bridge import AFTER_CALL_CONTEXT
from contactcenter.events import EventBus
from contactcenter.ivr.events import IvrFinished
from contactcenter.ivr.fastagi import FastAgiServer
from contactcenter.ivr.interpreter import Finish
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.speech.tts import PromptRenderer
from tests.ivr.walking import walk

FLOWS = Path(__file__).parents[2] / "flows"
DIALPLAN = Path(__file__).parents[2] / "asterisk-config" / "extensions.conf"
RATE = """
name: rate
steps:
  ask:
    menu:
      prompt: Rate us.
      into: score
      choices: {"1": {goto: bye, say: [poor]}, "5": {goto: bye, say: [excellent]}}
    on_exhausted: bye
  bye: {hangup: Bye.}
"""


def test_a_menu_keeps_the_chosen_key_into_its_variable_as_a_collected_answer() -> None:
    by_key, _ = walk(RATE, ["5"])
    by_voice, _ = walk(RATE, ["it was poor really"])
    silent, _ = walk(RATE, [None, None, None])
    assert (by_key.vars["score"], by_key.collected) == ("5", {"score": "5"})
    assert by_voice.collected == {"score": "1"}  # the key of the choice said, not the words
    assert "score" not in silent.vars and silent.collected == {}


def test_without_into_a_menu_collects_nothing() -> None:
    run, _ = walk(RATE.replace("      into: score\n", ""), ["5"])
    assert run.vars["ask_choice"] == "5" and run.collected == {}


def test_a_menu_answer_reaches_the_screen_pop_fields_like_collected_digits() -> None:
    text = RATE.replace("bye: {hangup: Bye.}", "bye: {queue: {name: support}}")
    _, actions = walk(text, ["1"])
    finish = actions[-1]
    assert isinstance(finish, Finish) and finish.outcome == "queued"
    assert parse_qs(finish.variables[cc.FIELDS]) == {"score": ["1"]}


@pytest.mark.parametrize(("fields", "score"), [
    ({"survey_score": "4"}, 4), ({"survey_score": "1"}, 1), ({"survey_score": "5"}, 5),
    ({"survey_score": "0"}, None), ({"survey_score": "6"}, None),
    ({"survey_score": "45"}, None), ({"survey_score": ""}, None), ({"account": "4"}, None)])
def test_the_survey_score_of_an_ivr_end_is_a_rating_from_1_to_5_or_none(
        fields: dict[str, str], score: int | None) -> None:
    assert IvrFinished("c1", "survey", "", "hangup", "thanks", (), fields).survey_score == score


AFTER_CALL = {"agi_network_script": "survey", "agi_context": "cc-after-call",
              "agi_extension": "survey", "agi_uniqueid": "1767600000.7",
              "agi_channel": "SIP/carrier-00000007", "agi_callerid": "+14155550123"}


async def converse(port: int, env: dict[str, str], replies: list[bytes]) -> list[str]:
    """Plays Asterisk for one AGI session: the agi_* block, then the next reply to each
    command; once the replies run out the caller hangs up. Returns the commands."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write("".join(f"{k}: {v}\n" for k, v in env.items()).encode() + b"\n")
    commands = []
    while line := await reader.readline():
        commands.append(line.decode().rstrip("\n"))
        if not replies:
            break
        writer.write(replies.pop(0))
    writer.close()
    await writer.wait_closed()
    return commands


async def run_session(tmp_path: Path, env: dict[str, str], replies: list[bytes],
                      flows: Path = FLOWS) -> tuple[list[str], list[object]]:
    """One AGI session against the IVR serving `flows`; (its commands, the bus's events)."""
    registry = FlowRegistry(flows)
    assert registry.reload() == []
    bus = EventBus()
    service = IvrService(registry, PromptRenderer(tmp_path / "prompts"), bus)
    with bus.subscribe() as events:
        async with FastAgiServer(service.handle, port=0) as agi:
            commands = await converse(agi.port, env, replies)
        return commands, [events.get_nowait() for _ in range(events.qsize())]


async def test_after_the_call_the_survey_flow_takes_a_key_and_reports_the_rating(
        tmp_path: Path) -> None:
    commands, events = await run_session(tmp_path, AFTER_CALL, [
        b"200 result=4\n", b"200 result=0 endpos=8000\n", b"200 result=1\n"])
    assert [c.split(" ")[0:2] for c in commands] == [["GET", "DATA"], ["STREAM", "FILE"],
                                                      ["SET", "VARIABLE"]]  # CC_IVR_END
    [finished] = [e for e in events if isinstance(e, IvrFinished)]
    assert (finished.uniqueid, finished.flow, finished.outcome) == (
        "1767600000.7", "survey", "hangup")
    assert finished.fields == {"survey_score": "4"} and finished.survey_score == 4
    assert finished.path == ("rate", "thanks")


async def test_a_missing_after_call_flow_ends_the_call_and_never_runs_the_inbound_menu(
        tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text((FLOWS / "main.yaml").read_text())
    (flows / "queues.yaml").write_text((FLOWS / "queues.yaml").read_text())
    commands, events = await run_session(tmp_path, AFTER_CALL, [], flows)
    assert commands == [] and events == []  # the dialplan goes on to Hangup()

    nameless = {**AFTER_CALL, "agi_context": "from-pstn", "agi_network_script": ""}
    commands, events = await run_session(tmp_path, nameless, [], flows)  # no name: main
    assert len(commands) == 1
    [finished] = [e for e in events if isinstance(e, IvrFinished)]
    assert (finished.flow, finished.outcome) == ("main", "caller_hung_up")


async def test_a_script_naming_an_unknown_flow_is_refused_loudly_never_served_main(
        tmp_path: Path, caplog) -> None:
    typo = {**AFTER_CALL, "agi_context": "from-pstn", "agi_network_script": "mian?x=1"}
    commands, events = await run_session(tmp_path, typo, [b"200 result=0\n"] * 3)
    assert commands == [] and events == []  # nothing played: the dialplan hangs up
    [refusal] = [r for r in caplog.records if "'mian'" in r.getMessage()]
    assert refusal.levelname == "ERROR" and "main" in refusal.getMessage()  # what exists
    assert AFTER_CALL["agi_uniqueid"] in refusal.getMessage()


def dialplan_context(name: str) -> list[str]:
    """The exten/same lines of one context of the shipped extensions.conf."""
    lines, inside = [], False
    for line in DIALPLAN.read_text().splitlines():
        if line.startswith("["):
            inside = line == f"[{name}]"
        elif inside and line.strip().startswith(("exten", "same")):
            lines.append(line.strip())
    return lines


def test_the_shipped_dialplan_runs_the_after_call_flow_named_by_the_extension() -> None:
    """The context Bridge's F option sends the caller to (cti/bridge.py) exists, runs the
    flow named by the extension on the FastAGI server inbound calls use, then hangs up."""
    [inbound] = [line for line in dialplan_context("from-pstn") if "AGI(" in line]
    server = inbound.split("AGI(", 1)[1].split("/main", 1)[0]
    assert dialplan_context(AFTER_CALL_CONTEXT) == [
        f"exten => _[a-z0-9].,1,AGI({server}/${{EXTEN}})", "same => n,Hangup()"]
