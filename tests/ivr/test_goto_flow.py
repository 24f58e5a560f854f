"""goto to another flow: the pure interpreter asks for the flow (Jump) and goes on in the one
it is given, the path and CC_IVR_PATH run across flows, a missing flow takes the error path,
a loop of flows with no question ends the call; `flows check` knows the directory's flows,
and the runtime hands over the target's version current at the goto."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs

from contactcenter.cli import main
from contactcenter.events import EventBus
from contactcenter.ivr.events import IvrFinished
from contactcenter.ivr.fastagi import AgiReply
from contactcenter.ivr.flow import parse_flow
from contactcenter.ivr.interpreter import Finish, Jump, Play, SetVariable
from contactcenter.ivr.model import Flow
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.ivr.steptypes.goto import MAX_JUMPS
from contactcenter.speech.tts import PromptRenderer
from tests.ivr.walking import walk

FRONT = """name: front
steps:
  hello:
    set: {greeted: "yes"}
    next: away
  away:
    goto: {flow: desk, step: ask}
"""
DESK = """name: desk
steps:
  welcome: {say: Welcome to the desk., next: ask}
  ask:
    menu: {prompt: Press 1 for sales., choices: {"1": sales}, retries: 0}
    on_exhausted: bye
  sales: {queue: {name: sales, fields: [greeted]}}
  bye: {hangup: Goodbye.}
"""


def flow(text: str) -> Flow:
    parsed, errors = parse_flow(text, "t.yaml")
    assert not errors, errors
    assert parsed is not None
    return parsed


def test_goto_a_step_of_another_flow_goes_on_there_with_the_call_s_variables() -> None:
    run, actions = walk(FRONT, ["1"], flows={"desk": flow(DESK)})
    assert Jump("desk") in actions
    assert run.path == ["hello", "away", "desk:ask", "desk:sales"]
    sets = {a.name: a.value for a in actions if isinstance(a, SetVariable)}
    assert sets["CC_IVR_PATH"] == "front:hello,front:away,desk:ask,desk:sales"
    assert sets["CC_FLOW"] == "desk" and sets["CC_QUEUE"] == "sales"
    assert parse_qs(sets["CC_FIELDS"]) == {"greeted": ["yes"]}  # set in front, used in desk
    assert actions[-1] == Finish("queued", "desk:sales", queue="sales", variables=sets)


def test_goto_a_flow_without_a_step_starts_it_in_the_version_supplied() -> None:
    newer = flow(DESK.replace("Welcome to the desk.", "Welcome to the new desk."))
    _, actions = walk(FRONT.replace(", step: ask", ""), [None], flows={"desk": newer})
    assert Play("Welcome to the new desk.") in actions
    assert actions[-1] == Finish("hangup", "desk:bye")


def test_a_flow_the_driver_lacks_takes_on_error_else_ends_the_call_as_an_error() -> None:
    with_error_path = FRONT + "    on_error: sorry\n  sorry: {hangup: Sorry.}\n"
    run, actions = walk(with_error_path, [], flows={})
    assert run.path == ["hello", "away", "sorry"] and actions[-1] == Finish("hangup", "sorry")

    _, actions = walk(FRONT, [], flows={})
    assert actions[-1].outcome == "error" and actions[-1].step == "away"
    assert "no flow 'desk' with step 'ask'" in actions[-1].reason
    _, actions = walk(FRONT, [], flows={"desk": flow(DESK.replace("  ask:", "  asking:")
                                                         .replace("next: ask", "next: asking"))})
    assert actions[-1].outcome == "error"  # the desk's current version has no step 'ask'


def test_a_loop_of_flows_that_never_asks_the_caller_ends_the_call() -> None:
    back = flow("name: desk\nsteps:\n  back: {goto: {flow: front}}\n")
    front = FRONT.replace(", step: ask", "")
    _, actions = walk(front, [], flows={"desk": back, "front": flow(front)})
    assert sum(isinstance(a, Jump) for a in actions) == MAX_JUMPS
    assert actions[-1].outcome == "error"
    assert "without asking the caller anything" in actions[-1].reason


def test_gotos_between_flows_with_a_question_in_between_are_no_loop() -> None:
    menu = """name: front
steps:
  menu:
    menu: {prompt: Press 1 to go round., choices: {"1": away}, retries: 0}
    on_exhausted: bye
  away: {goto: {flow: desk}}
  bye: {hangup: Goodbye.}
"""
    back = flow("name: desk\nsteps:\n  back: {goto: {flow: front}}\n")
    rounds = MAX_JUMPS + 2
    _, actions = walk(menu, ["1"] * rounds + [None], flows={"desk": back, "front": flow(menu)})
    assert sum(isinstance(a, Jump) for a in actions) == 2 * rounds
    assert actions[-1] == Finish("hangup", "bye")


def test_the_caller_s_language_goes_along_where_the_other_flow_speaks_it() -> None:
    front = """name: front
languages: [en, es]
steps:
  spanish: {language: es, next: away}
  away: {goto: {flow: desk}}
"""
    desk = """name: desk
languages: [en, {other}]
steps:
  hello: {{say: {{en: Hello., {other}: Hola.}}, next: bye}}
  bye: {{hangup: }}
"""
    _, actions = walk(front, [], flows={"desk": flow(desk.format(other="es"))})
    assert Play("Hola.", language="es") in actions
    _, actions = walk(front, [], flows={"desk": flow(desk.format(other="fr"))})
    assert Play("Hello.", language="es") in actions  # no Spanish there: its first language


def flows_dir(tmp_path: Path) -> Path:
    (tmp_path / "front.yaml").write_text(FRONT)
    (tmp_path / "desk.yaml").write_text(DESK)
    return tmp_path


def test_check_knows_the_flows_beside_even_a_file_checked_alone(tmp_path, capsys) -> None:
    flows = flows_dir(tmp_path)
    assert main(["flows", "check", str(flows / "front.yaml")]) == 0
    (flows / "desk.yaml").write_text(DESK.replace("  ask:", "  asking:")
                                     .replace("next: ask", "next: asking"))
    assert main(["flows", "check", str(flows / "front.yaml")]) == 1
    assert (f"{flows / 'front.yaml'}:7:24: step 'away': goto: flow 'desk' has no step 'ask'"
            in capsys.readouterr().out)
    (flows / "desk.yaml").unlink()
    assert main(["flows", "check", str(flows)]) == 1
    assert "front.yaml:7:12: step 'away': goto: unknown flow 'desk' (known: front)" in \
        capsys.readouterr().out


def test_reload_refuses_a_goto_to_a_flow_not_in_the_directory(tmp_path: Path) -> None:
    (tmp_path / "front.yaml").write_text(FRONT)
    errors = FlowRegistry(tmp_path).reload()
    assert errors == [f"{tmp_path / 'front.yaml'}:7:12: step 'away': goto: unknown flow "
                      "'desk' (known: front)"]


def test_simulate_walks_across_flows(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CC_FLOWS_DIRECTORY", str(flows_dir(tmp_path)))
    assert main(["flows", "simulate", "front", "--input", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["[away] goes to flow desk", "[desk:ask] asks: Press 1 for sales."]
    assert out[-2:] == ["path: hello > away > desk:ask > desk:sales",
                        "ends: queued in queue sales at step desk:sales"]


class Session:
    """What IvrService.handle uses of an AgiSession; `during` runs at the first command."""

    def __init__(self, during) -> None:
        self.env, self.flow, self.args = {"agi_channel": "SIP/x-1"}, "front", ["5000"]
        self.during, self.lines = during, []

    async def command(self, line: str) -> AgiReply:
        if not self.lines:
            self.during()
        self.lines.append(line)
        return AgiReply(200, "1")


async def test_the_runtime_hands_over_the_target_s_version_current_at_the_goto(
        tmp_path: Path) -> None:
    flows = flows_dir(tmp_path)
    (flows / "front.yaml").write_text(FRONT.replace("set: {greeted: \"yes\"}", "play: beep"))
    (flows / "desk.yaml").write_text(DESK.replace("name: sales", "name: first"))
    registry = FlowRegistry(flows)
    assert registry.reload() == []
    bus = EventBus()
    service = IvrService(registry, PromptRenderer(tmp_path / "prompts"), bus)

    def edit_desk() -> None:  # while the caller hears the beep
        (flows / "desk.yaml").write_text(DESK.replace("name: sales", "name: second"))
        assert registry.reload() == []

    session = Session(edit_desk)
    with bus.subscribe() as events:
        await service.handle(session)  # type: ignore[arg-type]
        finished = events.get_nowait()
    assert 'SET VARIABLE CC_QUEUE "second"' in session.lines
    assert isinstance(finished, IvrFinished) and finished.flow == "front"
    assert finished.path == ("hello", "away", "desk:ask", "desk:sales")


async def test_the_runtime_logs_why_a_goto_ended_the_call(tmp_path: Path, caplog) -> None:
    flows = flows_dir(tmp_path)
    (flows / "desk.yaml").write_text(DESK.replace("next: ask", "next: nowhere"))
    registry = FlowRegistry(flows)
    registry.reload()  # desk is rejected; front's goto to it is not its own mistake
    assert "front" in registry.flows and "desk" not in registry.flows
    bus = EventBus()
    with caplog.at_level(logging.ERROR), bus.subscribe() as events:
        await IvrService(registry, PromptRenderer(tmp_path), bus).handle(
            Session(lambda: None))  # type: ignore[arg-type]
        assert events.get_nowait().outcome == "error"
    assert ("SIP/x-1: flow front ended the call at away: goto: no flow 'desk' with step "
            "'ask' to go to") in caplog.text
