"""The flow model and its loader: YAML (ruamel, which keeps line and column of every node)
into frozen steps, with every error reported as `file:line:column: message`, all at once.

A flow is a mapping of named steps; each step has exactly one action key (ACTIONS) plus
where to go next. The validator
guarantees no dead ends: every step that can fail or time out names where that goes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from contactcenter.errors import FlowError
from contactcenter.ivr.steps import LANGUAGE_CODE, StepCheck
from contactcenter.ivr.yamlsource import Errors, load_yaml, position

ACTIONS = ("say", "play", "menu", "ask", "collect", "set", "branch", "hours", "lookup", "language",
           "queue", "voicemail", "callback", "transfer", "hangup", "goto")
ROUTING = ("next", "on_exhausted", "on_error")
# The routing keys each action must have, so that no outcome of a step is left undefined
REQUIRED_ROUTES: dict[str, tuple[str, ...]] = {
    "say": ("next",), "play": ("next",), "set": ("next",), "hours": ("next",),
    "menu": ("on_exhausted",), "ask": ("on_exhausted",), "collect": ("next", "on_exhausted"), "lookup": ("on_error",),
    "language": ("next",), "voicemail": ("on_error",), "callback": ("on_error",),
}
ROUTE_MEANING = {"next": "where the call goes after",
                 "on_exhausted": "where the call goes when retries run out",
                 "on_error": "where the call goes when the step fails"}
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Step:
    """One step: its action, the action's parameters, and where each outcome goes."""

    id: str
    action: str
    params: Any
    next: str | None = None
    on_exhausted: str | None = None
    on_error: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    steps: dict[str, Step]
    file: str = "<flow>"
    version: str = ""
    languages: tuple[str, ...] = ()  # the first is the default; texts may be per language

    def targets(self, step: Step) -> list[str]:
        """Every step this one can lead to."""
        found = [step.next, step.on_exhausted, step.on_error]
        params = step.params if isinstance(step.params, dict) else {}
        if step.action == "menu" and isinstance(params.get("choices"), dict):
            found += [c.get("goto") if isinstance(c, dict) else c
                      for c in params["choices"].values()]
        elif step.action == "ask" and isinstance(params.get("intents"), dict):
            found += [i.get("goto") for i in params["intents"].values() if isinstance(i, dict)]
        elif step.action == "branch":
            cases = params.get("cases") if isinstance(params.get("cases"), list) else []
            found += [case.get("goto") for case in cases if isinstance(case, dict)]
            found.append(params.get("otherwise"))
        elif step.action == "hours":
            found.append(params.get("closed"))
        elif step.action == "lookup":
            found += [params.get("found"), params.get("not_found")]
        elif step.action == "goto":
            found.append(step.params)  # a mapping: another flow, no step of this one
        return [t for t in found if isinstance(t, str)]


def load_flow(path: str | Path, known_queues: Collection[str] | None = None,
              known_flows: Mapping[str, Collection[str]] | None = None) -> Flow:
    """Load and validate one flow file; raises FlowErrors (all of them) on any problem."""
    flow, errors = parse_flow(Path(path).read_text(encoding="utf-8"), str(path), known_queues,
                              known_flows)
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
    steps = {}
    for step_id, node in steps_node.items():
        step = _parse_step(str(step_id), node, steps_node, errors, known_queues, languages)
        if step is not None:
            steps[step.id] = step
    start = doc.get("start", next(iter(steps_node), None))
    if start not in steps_node:
        errors.add(doc, f"start step {start!r} does not exist", "start")
    flow = Flow(str(name), str(start), steps, file, languages=languages)
    _check_graph(flow, steps_node, errors)
    _check_jumps(flow, errors, known_flows)
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


def _parse_step(step_id: str, node: Any, parent: CommentedMap, errors: Errors,
                known_queues: Collection[str] | None, languages: tuple[str, ...]) -> Step | None:
    if not isinstance(node, CommentedMap):
        errors.add(parent, f"step {step_id!r} must be a mapping", step_id)
        return None
    actions = [key for key in node if key in ACTIONS]
    for key in node:
        if key not in ACTIONS and key not in ROUTING:
            errors.add(node, f"step {step_id!r}: unknown field {key!r}", key)
    if len(actions) != 1:
        errors.add(parent, f"step {step_id!r} needs exactly one action of "
                   f"{', '.join(ACTIONS)} (found {len(actions)})", step_id)
        return None
    action = actions[0]
    params = node[action]
    StepCheck(step_id, action, params, node, errors, known_queues, languages).run()
    for route in REQUIRED_ROUTES.get(action, ()):
        if route not in node:
            errors.add(node, f"step {step_id!r}: {action} needs {route!r} "
                       f"({ROUTE_MEANING[route]})", action)
    return Step(step_id, action, params, node.get("next"), node.get("on_exhausted"),
                node.get("on_error"), position(parent, step_id)[0])


def _check_graph(flow: Flow, steps_node: CommentedMap, errors: Errors) -> None:
    """Dangling targets, unreachable steps, and loops a caller can never leave."""
    for step in flow.steps.values():
        for target in flow.targets(step):
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


def _check_jumps(flow: Flow, errors: Errors,
                 known_flows: Mapping[str, Collection[str]] | None) -> None:
    """Gotos to another flow: never to this one (a step name does that, and keeps the loop
    checks above whole), and to a flow and step that exist among `known_flows`."""
    for step in flow.steps.values():
        params = step.params
        if step.action != "goto" or not isinstance(params, CommentedMap):
            continue
        target, where = params.get("flow"), f"step {step.id!r}: goto"
        if not isinstance(target, str):
            continue  # reported by the step's own check
        if target == flow.name:
            errors.add(params, f"{where} names its own flow {target!r}: write goto: <step>",
                       "flow")
        elif known_flows is None:
            continue
        elif target not in known_flows:
            errors.add(params, f"{where}: unknown flow {target!r} (known: "
                       f"{', '.join(sorted(known_flows)) or 'none'})", "flow")
        elif isinstance(params.get("step"), str) and params["step"] not in known_flows[target]:
            errors.add(params, f"{where}: flow {target!r} has no step {params['step']!r}",
                       "step")


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
        todo.extend(flow.targets(flow.steps[step_id]))
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
    return [] if asks_caller(step) else flow.targets(step)


def asks_caller(step: Step) -> bool:
    """Whether the step waits for the caller's answer (so a loop through it can end)."""
    return step.action in ("menu", "ask", "collect") or (step.action == "language"
                                                  and isinstance(step.params, dict))

