"""The goto step: on to a step of this flow, or to another flow of the directory (its start,
or a step of it), which the run asks its driver for (Jump) at the time of the goto."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ruamel.yaml.comments import CommentedMap

from contactcenter.ivr.interpreter import Action, Finish, FlowRun, Jump
from contactcenter.ivr.model import Flow, Step
from contactcenter.ivr.steptypes.check import StepCheck
from contactcenter.ivr.steptypes.steptype import STEP_NAME, StepType

MAX_JUMPS = 10  # gotos to another flow in a row with no question to the caller: a loop


def check_goto(check: StepCheck) -> None:
    """`goto: step` in this flow (the loader checks that it exists), or `goto: {flow: name,
    step: name}` to another flow (step: default its start), never this one: a step name
    does that, and keeps the loader's loop checks whole."""
    params, where = check.params, check.where
    if not isinstance(params, str | CommentedMap) or not str(params).strip():
        check.errors.add(check.node, f"{where} needs a step name, or {{flow: name, step: "
                         "name}", check.action)
        return
    if not isinstance(params, CommentedMap) or not check.mapping():
        return
    check.step_name("flow", "the flow to go to")
    if "step" in params and not isinstance(params["step"], str):
        check.errors.add(params, f"{where}: step is a step name of that flow", "step")
    target, known = params.get("flow"), check.context.known_flows
    if not isinstance(target, str):
        return
    if target == check.context.flow:
        check.errors.add(params, f"{where} names its own flow {target!r}: write goto: <step>",
                         "flow")
    elif known is None:
        return
    elif target not in known:
        check.errors.add(params, f"{where}: unknown flow {target!r} (known: "
                         f"{', '.join(sorted(known)) or 'none'})", "flow")
    elif isinstance(params.get("step"), str) and params["step"] not in known[target]:
        check.errors.add(params, f"{where}: flow {target!r} has no step {params['step']!r}",
                         "step")


def run_goto(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    """A flow or step the driver does not have takes on_error, else ends the call as an
    error, as does a loop of flows that never asks the caller anything."""
    if isinstance(step.params, str):
        return step.params
    name = step.params["flow"]
    call.jumps += 1
    if call.jumps > MAX_JUMPS:
        yield Finish("error", call.last_step, reason=f"{MAX_JUMPS} gotos to another flow "
                     f"in a row without asking the caller anything (a loop of flows?)")
        return None
    flow = yield Jump(name)
    target = step.params.get("step") or getattr(flow, "start", "")
    if not isinstance(flow, Flow) or target not in flow.steps:
        if step.on_error:
            return step.on_error
        yield Finish("error", call.last_step, reason=f"goto: no flow {name!r} with step "
                     f"{target or 'start'!r} to go to")
        return None
    call.flow = flow
    return str(target)


def goto_targets(params: Any) -> list[object]:
    return [params]  # a mapping (another flow) is no step of this one


GOTO = StepType(
    "goto", check_goto, run_goto,
    "A step of this flow, or another flow: {flow: after_hours, step: closed}.",
    value=STEP_NAME, required=("flow",), fields={
        "flow": {"type": "string", "minLength": 1,
                 "description": "The name of another flow of the directory."},
        "step": {**STEP_NAME, "description": "A step of that flow; default its start."}},
    targets=goto_targets)
