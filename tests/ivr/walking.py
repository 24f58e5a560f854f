"""Drive the pure interpreter over flow text with scripted results, for the step tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from contactcenter.ivr.flow import parse_flow
from contactcenter.ivr.interpreter import Action, Ask, CallInfo, Exec, Finish, FlowRun, Jump, Lookup
from contactcenter.ivr.model import Flow

CALL = CallInfo("17.1", "SIP/x", "+14155550123", "Ada")


def walk(text: str, answers: list[str | None], *, play_ok: bool = True,
         find: Callable[[str, str], object] = lambda by, value: None,
         exec_ok: bool | None = None, call: CallInfo = CALL,
         flows: Mapping[str, Flow] | None = None) -> tuple[FlowRun, list[Action]]:
    """Every action the flow yields until it finishes: Ask takes the next answer, Lookup
    asks `find`, Exec succeeds unless exec_ok is False, Jump gets the flow of `flows`,
    the rest get `play_ok`."""
    flow, errors = parse_flow(text, "t.yaml")
    assert not errors, errors
    run = FlowRun(flow, call, clock=lambda: 100.0)
    actions = [run.start()]
    while not isinstance(actions[-1], Finish):
        last = actions[-1]
        if isinstance(last, Ask):
            result = answers.pop(0)
        elif isinstance(last, Lookup):
            result = find(last.by, last.value)
        elif isinstance(last, Jump):
            result = (flows or {}).get(last.flow)
        elif isinstance(last, Exec) and exec_ok is not None:
            result = exec_ok
        else:
            result = play_ok
        actions.append(run.resume(result))
    return run, actions
