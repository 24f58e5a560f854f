"""The flow loader: YAML (ruamel, which keeps line and column of every node) into a Flow of
frozen steps (ivr/model.py), with every error reported as `file:line:column: message`, all
at once.

A flow is a mapping of named steps; each step has exactly one action key, the name of its
step type (ivr/steptypes/), plus where to go next. Each type checks its own value; the
loader checks what no type can alone: no dead ends (every step that can fail or time out
names where that goes), no dangling targets, no unreachable steps, no loops without input.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from contactcenter import yamlguard
from contactcenter.errors import FlowError
from contactcenter.ivr.model import Flow, Step
from contactcenter.ivr.steptypes import COUNTS, STEP_TYPES
from contactcenter.ivr.steptypes.check import LANGUAGE_CODE, CheckContext, StepCheck
from contactcenter.ivr.steptypes.steptype import ROUTES
from contactcenter.ivr.yamlsource import Errors, load_yaml, position


def load_flow(path: str | Path, known_queues: Collection[str] | None = None,
              known_flows: Mapping[str, Collection[str]] | None = None) -> Flow:
    """Load and validate one flow file; raises FlowErrors (all of them) on any problem."""
    try:
        text = yamlguard.read_text(path)
    except FlowError as exc:
        raise FlowErrors([exc]) from exc
    flow, errors = parse_flow(text, str(path), known_queues, known_flows)
    if errors:
        raise FlowErrors(errors)
    assert flow is not None
    return flow


class FlowErrors(FlowError):
    """Several errors in one or more flow files, each with its own position."""

    def __init__(self, errors: list[FlowError]):
        super().__init__(errors[0].message, errors[0].file, errors[0].line, errors[0].column)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def parse_flow(text: str, file: str = "<flow>", known_queues: Collection[str] | None = None,
               known_flows: Mapping[str, Collection[str]] | None = None,
               ) -> tuple[Flow | None, list[FlowError]]:
    """Pure: YAML text -> (flow, errors). The flow is None when errors are found.
    known_queues: the queue names; known_flows: flow name -> its step names, for gotos to
    another flow (None: not checked)."""
    errors = Errors(file)
    doc = load_yaml(text, errors)
    if errors.found:
        return None, errors.found
    if not isinstance(doc, CommentedMap):
        line, column = position(doc) if doc is not None else (1, 1)
        return None, [FlowError("a flow is a mapping with name, start and steps", file, line,
                                column)]
    for key in doc:
        if key not in ("name", "start", "steps", "description", "languages"):
            errors.add(doc, f"unknown top-level field {key!r}", key)
    languages = _languages(doc, errors)
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        errors.add(doc, "missing or empty 'name'", "name" if "name" in doc else None)
    steps_node = doc.get("steps")
    if not isinstance(steps_node, CommentedMap) or not steps_node:
        errors.add(doc, "'steps' must be a non-empty mapping of step names to steps",
                   "steps" if "steps" in doc else None)
        return None, errors.found
    context = CheckContext(errors, str(name), languages, known_queues, known_flows, COUNTS)
    steps = {}
    for step_id, node in steps_node.items():
        step = _parse_step(str(step_id), node, steps_node, context)
        if step is not None:
            steps[step.id] = step
    start = doc.get("start", next(iter(steps_node), None))
    if not isinstance(start, str) or start not in steps_node:
        errors.add(doc, f"start step {start!r} does not exist", "start")
    flow = Flow(str(name), str(start), steps, file, languages=languages)
    _check_graph(flow, steps_node, errors)
    if errors.found:
        return None, sorted(errors.found, key=lambda e: (e.line, e.column))
    return flow, []


def _languages(doc: CommentedMap, errors: Errors) -> tuple[str, ...]:
    """`languages: [en, es]`: language codes, the first being the call's default."""
    found = doc.get("languages", [])
    if not isinstance(found, list) or not all(
            isinstance(code, str) and LANGUAGE_CODE.fullmatch(code) for code in found):
        errors.add(doc, "languages is a list of language codes such as [en, es]", "languages")
        return ()
    if len(set(found)) != len(found):
        errors.add(doc, "languages lists a language twice", "languages")
    return tuple(found)


def _parse_step(step_id: str, node: Any, parent: CommentedMap,
                context: CheckContext) -> Step | None:
    errors = context.errors
    if not isinstance(node, CommentedMap):
        errors.add(parent, f"step {step_id!r} must be a mapping", step_id)
        return None
    actions = [key for key in node if key in STEP_TYPES]
    for key in node:
        if key not in STEP_TYPES and key not in ROUTES:
            errors.add(node, f"step {step_id!r}: unknown field {key!r}", key)
    if len(actions) != 1:
        errors.add(parent, f"step {step_id!r} needs exactly one action of "
                   f"{', '.join(STEP_TYPES)} (found {len(actions)})", step_id)
        return None
    action = actions[0]
    step_type, params = STEP_TYPES[action], node[action]
    StepCheck(step_id, step_type, params, node, context).run()
    for route in step_type.routes:
        if route not in node:
            errors.add(node, f"step {step_id!r}: {action} needs {route!r} "
                       f"({ROUTES[route]})", action)
    return Step(step_id, step_type, params, node.get("next"), node.get("on_exhausted"),
                node.get("on_error"), position(parent, step_id)[0])


def _check_graph(flow: Flow, steps_node: CommentedMap, errors: Errors) -> None:
    """Dangling targets, unreachable steps, and loops a caller can never leave."""
    for step in flow.steps.values():
        for target in step.targets():
            if target not in flow.steps and target not in steps_node:
                errors.add(steps_node[step.id], f"step {step.id!r} goes to {target!r}, "
                           "which does not exist", _key_of(steps_node[step.id], target))
    reachable = _reachable(flow, flow.start)
    for step_id in flow.steps:
        if step_id not in reachable:
            errors.add(steps_node, f"step {step_id!r} is unreachable from {flow.start!r}",
                       step_id)
    for step_id in flow.steps:
        if _loops_without_input(flow, step_id):
            errors.add(steps_node, f"step {step_id!r} loops back to itself without asking "
                       "the caller anything", step_id)


def _key_of(node: CommentedMap, target: str) -> str | None:
    for key, value in node.items():
        if value == target:
            return key
    return None


def _reachable(flow: Flow, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        step_id = todo.pop()
        if step_id in seen or step_id not in flow.steps:
            continue
        seen.add(step_id)
        todo.extend(flow.steps[step_id].targets())
    return seen


def _loops_without_input(flow: Flow, origin: str) -> bool:
    """True when `origin` can come back to itself through steps that never read input."""
    todo, seen = list(_silent_targets(flow, origin)), set()
    while todo:
        step_id = todo.pop()
        if step_id == origin:
            return True
        if step_id in seen or step_id not in flow.steps:
            continue
        seen.add(step_id)
        todo.extend(_silent_targets(flow, step_id))
    return False


def _silent_targets(flow: Flow, step_id: str) -> Iterable[str]:
    step = flow.steps[step_id]
    return [] if step.asks_caller else step.targets()
