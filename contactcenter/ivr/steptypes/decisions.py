"""Steps that decide where the call goes without a word to the caller: set (variables),
branch (conditions on them), hours (open or closed now), lookup (the caller in the CRM)."""

from __future__ import annotations

import re
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from contactcenter.ivr.hours import DAYS, HOURS, OpeningHours, check_hours
from contactcenter.ivr.interpreter import Action, FlowRun, Lookup
from contactcenter.ivr.model import Step
from contactcenter.ivr.steptypes.check import NAME, StepCheck
from contactcenter.ivr.steptypes.steptype import STEP_NAME, StepType, decision

CONDITION = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+(==|!=|matches|is)\s+(.*?)\s*")
LOOKUP_BY = ("phone", "account")


def check_set(check: StepCheck) -> None:
    if not isinstance(check.params, CommentedMap) or not check.params:
        check.errors.add(check.node, f"{check.where} needs a mapping of variable names to "
                         "values", check.action)


def decide_set(call: FlowRun, step: Step) -> str | None:
    for name, value in step.params.items():
        call.vars[str(name)] = call.text(str(value))
    return step.next


def check_branch(check: StepCheck) -> None:
    if not check.mapping():
        return
    params, where = check.params, check.where
    cases = params.get("cases", [])
    if not isinstance(cases, CommentedSeq):
        check.errors.add(params, f"{where}: cases is a list of {{if, goto}}", "cases")
        cases = []
    for i, case in enumerate(cases):
        if not (isinstance(case, CommentedMap) and isinstance(case.get("if"), str)
                and isinstance(case.get("goto"), str)):
            check.errors.add(cases, f"{where}: case {i + 1} needs 'if' and 'goto'", i)
        elif not CONDITION.fullmatch(case["if"]):
            check.errors.add(case, f"{where}: cannot read condition {case['if']!r} (write: "
                             "name == value, name != value, name matches regex, name is "
                             "empty, name is set)", "if")
    check.step_name("otherwise", "the step when no case holds")


def decide_branch(call: FlowRun, step: Step) -> str | None:
    for case in step.params.get("cases", []):
        if holds(call, case["if"]):
            return str(case["goto"])
    return str(step.params["otherwise"])


def holds(call: FlowRun, condition: str) -> bool:
    name, op, operand = CONDITION.fullmatch(condition).groups()  # type: ignore[union-attr]
    value = call.vars.get(name, "")
    operand = call.text(operand.strip("'\""))
    if op == "==":
        return value == operand
    if op == "!=":
        return value != operand
    if op == "matches":
        return re.fullmatch(operand, value) is not None
    return (not value) if operand == "empty" else bool(value)  # is empty / is set


def branch_targets(params: Any) -> list[object]:
    params = params if isinstance(params, dict) else {}
    cases = params.get("cases") if isinstance(params.get("cases"), list) else []
    return [*(case.get("goto") for case in cases if isinstance(case, dict)),
            params.get("otherwise")]


def check_hours_step(check: StepCheck) -> None:
    if not check.mapping():
        return
    check_hours(check.params, check.errors, check.where)
    check.step_name("closed", "the step when closed")


def decide_hours(call: FlowRun, step: Step) -> str | None:
    now = datetime.fromtimestamp(call.clock(), UTC)
    return step.next if OpeningHours.from_step(step.params).is_open(now) \
        else str(step.params["closed"])


def check_lookup(check: StepCheck) -> None:
    if not check.mapping():
        return
    params, where = check.params, check.where
    by = params.get("by", "phone")
    if by not in LOOKUP_BY:
        check.errors.add(params, f"{where}: by is phone or account, not {by!r}", "by")
    if by == "account" and "value" not in params:
        check.errors.add(params, f"{where} by account needs 'value': the account number, "
                         "e.g. ${account}", "by")
    if "value" in params and not isinstance(params["value"], str):
        check.errors.add(params, f"{where}: value is a text such as ${{account}}", "value")
    if "into" in params and not NAME.fullmatch(str(params["into"])):
        check.errors.add(params, f"{where}: into is a variable name prefix such as "
                         "customer", "into")
    check.step_name("found", "the step when the customer is found")
    check.step_name("not_found", "the step when the customer is not found")


def run_lookup(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    params = step.params
    value = call.text(str(params.get("value", "${caller_num}"))).strip()
    found = (yield Lookup(params.get("by", "phone"), value)) if value else None
    if found is False:
        return step.on_error
    if not isinstance(found, dict):
        return str(params["not_found"])
    for name, field_value in found.items():
        call.vars[f"{params.get('into', 'customer')}_{name}"] = str(field_value)
    return str(params["found"])


def fields_of(params: Any, *names: str) -> list[object]:
    """The values of `names` in a mapping value (steps it leads to)."""
    return [params.get(name) for name in names] if isinstance(params, dict) else []


DAY = "(" + "|".join(DAYS) + ")"
SET = StepType("set", check_set, decision(decide_set), routes=("next",), value={
    "type": "object", "minProperties": 1,
    "additionalProperties": {"type": ["string", "number", "boolean"]}})
BRANCH = StepType(
    "branch", check_branch, decision(decide_branch), required=("otherwise",), fields={
        "cases": {"type": "array", "items": {
            "type": "object", "required": ["if", "goto"], "additionalProperties": False,
            "properties": {
                "if": {"type": "string", "description": "name == value, name != value, name "
                       "matches regex, name is empty, name is set"},
                "goto": STEP_NAME}}},
        "otherwise": STEP_NAME},
    targets=branch_targets)
HOURS_STEP = StepType(
    "hours", check_hours_step, decision(decide_hours), routes=("next",),
    required=("timezone", "open", "closed"), fields={
        "timezone": {"type": "string", "description": "IANA time zone, e.g. America/New_York."},
        "open": {"type": "object", "minProperties": 1,
                 "propertyNames": {"pattern": f"^{DAY}(-{DAY})?$"},
                 "additionalProperties": {"type": "string", "pattern": f"^{HOURS.pattern}$"}},
        "holidays": {"type": "array", "items": {"type": "string", "format": "date"}},
        "closed": STEP_NAME},
    targets=lambda params: fields_of(params, "closed"))
LOOKUP = StepType(
    "lookup", check_lookup, run_lookup, routes=("on_error",), required=("found", "not_found"),
    fields={
        "by": {"enum": list(LOOKUP_BY), "description": "Default: phone."},
        "value": {"type": "string", "description": "What to look up; default ${caller_num}."},
        "into": {"type": "string", "pattern": f"^{NAME.pattern}$", "description": "Variable "
                 "prefix; default customer (customer_name, customer_account...)."},
        "found": STEP_NAME,
        "not_found": STEP_NAME},
    targets=lambda params: fields_of(params, "found", "not_found"))
