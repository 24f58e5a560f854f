"""The flow model and its loader: YAML (ruamel, which keeps line and column of every node)
into frozen steps, with every error reported as `file:line:column: message`, all at once.

A flow is a mapping of named steps; each step has exactly one action key (say, play, menu,
collect, set, branch, queue, transfer, hangup, goto) plus where to go next. The validator
guarantees no dead ends: every step that can fail or time out names where that goes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from contactcenter.errors import FlowError

ACTIONS = ("say", "play", "menu", "collect", "set", "branch", "hours", "lookup", "queue",
           "transfer", "hangup", "goto")
ROUTING = ("next", "on_exhausted", "on_error")
# The routing keys each action must have, so that no outcome of a step is left undefined
REQUIRED_ROUTES: dict[str, tuple[str, ...]] = {
    "say": ("next",), "play": ("next",), "set": ("next",), "hours": ("next",),
    "menu": ("on_exhausted",), "collect": ("next", "on_exhausted"), "lookup": ("on_error",),
}
ROUTE_MEANING = {"next": "where the call goes after",
                 "on_exhausted": "where the call goes when retries run out",
                 "on_error": "where the call goes when the step fails"}
FIELDS: dict[str, set[str]] = {
    "menu": {"prompt", "choices", "timeout", "retries", "invalid", "no_input"},
    "collect": {"prompt", "into", "min", "max", "terminator", "timeout", "retries", "pattern",
                "luhn", "invalid"},
    "queue": {"name", "priority", "skills", "fields"},
    "branch": {"cases", "otherwise"},
    "hours": {"timezone", "open", "holidays", "closed"},
    "lookup": {"by", "value", "into", "found", "not_found"},
}
LOOKUP_BY = ("phone", "account")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")
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

    def targets(self, step: Step) -> list[str]:
        """Every step this one can lead to."""
        found = [step.next, step.on_exhausted, step.on_error]
        params = step.params if isinstance(step.params, dict) else {}
        if step.action == "menu" and isinstance(params.get("choices"), dict):
            found += list(params["choices"].values())
        elif step.action == "branch":
            cases = params.get("cases") if isinstance(params.get("cases"), list) else []
            found += [case.get("goto") for case in cases if isinstance(case, dict)]
            found.append(params.get("otherwise"))
        elif step.action == "hours":
            found.append(params.get("closed"))
        elif step.action == "lookup":
            found += [params.get("found"), params.get("not_found")]
        elif step.action == "goto":
            found.append(step.params)
        return [t for t in found if isinstance(t, str)]


@dataclass
class Errors:
    """Every problem found in one file, each at the line and column of its YAML node."""

    file: str
    found: list[FlowError] = field(default_factory=list)

    def add(self, node: Any, message: str, key: Any = None) -> None:
        line, column = position(node, key)
        self.found.append(FlowError(message, self.file, line, column))


def position(node: Any, key: Any = None) -> tuple[int, int]:
    """1-based line and column of `node` (or of `key` inside it) as ruamel recorded them."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return 0, 0
    if key is not None:
        try:
            if isinstance(node, CommentedMap):
                line, col = lc.key(key)
            else:
                line, col = lc.item(key)
            return line + 1, col + 1
        except (KeyError, IndexError, TypeError):
            pass
    return lc.line + 1, lc.col + 1


def load_flow(path: str | Path, known_queues: Collection[str] | None = None) -> Flow:
    """Load and validate one flow file; raises FlowErrors (all of them) on any problem."""
    flow, errors = parse_flow(Path(path).read_text(encoding="utf-8"), str(path), known_queues)
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


def parse_flow(text: str, file: str = "<flow>",
               known_queues: Collection[str] | None = None) -> tuple[Flow | None, list[FlowError]]:
    """Pure: YAML text -> (flow, errors). The flow is None when errors are found."""
    errors = Errors(file)
    try:
        doc = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return None, [FlowError(f"YAML syntax: {exc.problem or exc}", file, line, col)]
    if not isinstance(doc, CommentedMap):
        line, column = position(doc) if doc is not None else (1, 1)
        return None, [FlowError("a flow is a mapping with name, start and steps", file, line,
                                column)]
    for key in doc:
        if key not in ("name", "start", "steps", "description"):
            errors.add(doc, f"unknown top-level field {key!r}", key)
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
        step = _parse_step(str(step_id), node, steps_node, errors, known_queues)
        if step is not None:
            steps[step.id] = step
    start = doc.get("start", next(iter(steps_node), None))
    if start not in steps_node:
        errors.add(doc, f"start step {start!r} does not exist", "start")
    flow = Flow(str(name), str(start), steps, file)
    _check_graph(flow, steps_node, errors)
    if errors.found:
        return None, sorted(errors.found, key=lambda e: (e.line, e.column))
    return flow, []


def _parse_step(step_id: str, node: Any, parent: CommentedMap, errors: Errors,
                known_queues: Collection[str] | None) -> Step | None:
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
    _check_params(step_id, action, params, node, errors, known_queues)
    for route in REQUIRED_ROUTES.get(action, ()):
        if route not in node:
            errors.add(node, f"step {step_id!r}: {action} needs {route!r} "
                       f"({ROUTE_MEANING[route]})", action)
    return Step(step_id, action, params, node.get("next"), node.get("on_exhausted"),
                node.get("on_error"), position(parent, step_id)[0])


def _check_params(step_id: str, action: str, params: Any, node: CommentedMap,
                  errors: Errors, known_queues: Collection[str] | None) -> None:
    where = f"step {step_id!r}: {action}"
    if action in ("say", "play", "transfer", "goto"):
        if not isinstance(params, str) or not params.strip():
            errors.add(node, f"{where} needs a non-empty text", action)
        return
    if action == "hangup":
        if params not in (None, True) and not isinstance(params, str):
            errors.add(node, f"{where} takes an optional goodbye text", action)
        return
    if action == "set":
        if not isinstance(params, CommentedMap) or not params:
            errors.add(node, f"{where} needs a mapping of variable names to values", action)
        return
    if not isinstance(params, CommentedMap):
        errors.add(node, f"{where} needs a mapping", action)
        return
    for key in params:
        if key not in FIELDS[action]:
            errors.add(params, f"{where}: unknown field {key!r}", key)
    for key in ("timeout", "retries", "min", "max", "priority"):
        if key in params and (not isinstance(params[key], int) or params[key] < 0):
            errors.add(params, f"{where}: {key} must be a whole number >= 0", key)
    if action in ("menu", "collect") and not isinstance(params.get("prompt"), str):
        errors.add(params if "prompt" in params else node, f"{where} needs a 'prompt' text",
                   "prompt" if "prompt" in params else action)
    if action == "menu":
        choices = params.get("choices")
        if not isinstance(choices, CommentedMap) or not choices:
            errors.add(params, f"{where} needs 'choices': keys to step names",
                       "choices" if "choices" in params else None)
        else:
            for key in choices:
                if not re.fullmatch(r"[0-9*#]", str(key)):
                    errors.add(choices, f"{where}: choice {key!r} is not one key 0-9, * or #",
                               key)
    elif action == "collect":
        if not isinstance(params.get("into"), str):
            errors.add(params, f"{where} needs 'into': the variable to store the digits", None)
        if "pattern" in params:
            try:
                re.compile(str(params["pattern"]))
            except re.error as exc:
                errors.add(params, f"{where}: bad pattern: {exc}", "pattern")
        if params.get("min", 1) > params.get("max", 20):
            errors.add(params, f"{where}: min is larger than max", "min")
    elif action == "queue":
        queue = params.get("name")
        if not isinstance(queue, str):
            errors.add(params, f"{where} needs a queue 'name'", None)
        elif known_queues is not None and queue not in known_queues:
            errors.add(params, f"{where}: unknown queue {queue!r} (known: "
                       f"{', '.join(sorted(known_queues))})", "name")
        if "skills" in params and not isinstance(params["skills"], CommentedMap):
            errors.add(params, f"{where}: skills is a mapping of skill to minimum level",
                       "skills")
        if "fields" in params and not isinstance(params["fields"], CommentedSeq):
            errors.add(params, f"{where}: fields is a list of variable names", "fields")
    elif action == "branch":
        cases = params.get("cases", [])
        if not isinstance(cases, CommentedSeq):
            errors.add(params, f"{where}: cases is a list of {{if, goto}}", "cases")
        else:
            for i, case in enumerate(cases):
                if not (isinstance(case, CommentedMap) and isinstance(case.get("if"), str)
                        and isinstance(case.get("goto"), str)):
                    errors.add(cases, f"{where}: case {i + 1} needs 'if' and 'goto'", i)
                elif not CONDITION.fullmatch(case["if"]):
                    errors.add(case, f"{where}: cannot read condition {case['if']!r} "
                               "(write: name == value, name != value, name matches regex, "
                               "name is empty, name is set)", "if")
        if not isinstance(params.get("otherwise"), str):
            errors.add(params, f"{where} needs 'otherwise': the step when no case holds",
                       None)
    elif action == "hours":
        _check_hours(where, params, errors)
    elif action == "lookup":
        _check_lookup(where, params, errors)


def _check_lookup(where: str, params: CommentedMap, errors: Errors) -> None:
    by = params.get("by", "phone")
    if by not in LOOKUP_BY:
        errors.add(params, f"{where}: by is phone or account, not {by!r}", "by")
    if by == "account" and "value" not in params:
        errors.add(params, f"{where} by account needs 'value': the account number, e.g. "
                   "${account}", "by")
    if "value" in params and not isinstance(params["value"], str):
        errors.add(params, f"{where}: value is a text such as ${{account}}", "value")
    if "into" in params and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(params["into"])):
        errors.add(params, f"{where}: into is a variable name prefix such as customer", "into")
    for key in ("found", "not_found"):
        if not isinstance(params.get(key), str):
            errors.add(params, f"{where} needs {key!r}: the step when the customer is "
                       f"{key.replace('_', ' ')}", key if key in params else None)


def day_range(days: str) -> list[int]:
    """'mon-fri' -> [0..4], 'sat' -> [5]; [] when unreadable."""
    first, _, last = str(days).partition("-")
    if first not in DAYS or (last and last not in DAYS):
        return []
    low, high = DAYS.index(first), DAYS.index(last or first)
    return list(range(low, high + 1)) if low <= high else []


def _check_hours(where: str, params: CommentedMap, errors: Errors) -> None:
    try:
        ZoneInfo(str(params.get("timezone")))
    except (ZoneInfoNotFoundError, ValueError):
        errors.add(params, f"{where}: unknown timezone {params.get('timezone')!r}",
                   "timezone" if "timezone" in params else None)
    opening = params.get("open")
    if not isinstance(opening, CommentedMap) or not opening:
        errors.add(params, f"{where} needs 'open': days (mon-fri) to hours (09:00-17:00)",
                   "open" if "open" in params else None)
    else:
        for days, span in opening.items():
            if not day_range(days) or not HOURS.fullmatch(str(span)):
                errors.add(opening, f"{where}: cannot read {days}: {span} (write: mon-fri: "
                           "09:00-17:00)", days)
    for i, day in enumerate(params.get("holidays") or []):
        if not isinstance(day, date):
            errors.add(params["holidays"], f"{where}: holiday {day!r} is not a date "
                       "(YYYY-MM-DD)", i)
    if not isinstance(params.get("closed"), str):
        errors.add(params, f"{where} needs 'closed': the step when closed", None)


CONDITION = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+(==|!=|matches|is)\s+(.*?)\s*")


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
    return [] if step.action in ("menu", "collect") else flow.targets(step)

