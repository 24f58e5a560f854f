"""The collect step: digits keyed in (an account, a card number), checked by length, pattern
and Luhn, optionally read back, and kept in a variable as a collected answer."""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from typing import Any

from contactcenter.ivr.interpreter import Action, FlowRun
from contactcenter.ivr.model import Step
from contactcenter.ivr.steptypes.check import StepCheck
from contactcenter.ivr.steptypes.steptype import COUNT, TEXT, StepType, always


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return bool(digits) and total % 10 == 0


def check_collect(check: StepCheck) -> None:
    if not check.mapping():
        return
    params, where = check.params, check.where
    check.text("prompt", required=True)
    check.text("invalid")
    check.text("confirm")
    if not isinstance(params.get("into"), str):
        check.errors.add(params, f"{where} needs 'into': the variable to store the digits",
                         None)
    if "pattern" in params:
        try:
            re.compile(str(params["pattern"]))
        except re.error as exc:
            check.errors.add(params, f"{where}: bad pattern: {exc}", "pattern")
    low, high = params.get("min", 1), params.get("max", 20)
    if isinstance(low, int) and isinstance(high, int) and low > high:  # else: COUNTS says
        check.errors.add(params, f"{where}: min is larger than max", "min")


def run_collect(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    params = step.params
    low, high = params.get("min", 1), params.get("max", 20)
    for _ in range(params.get("retries", 2) + 1):
        digits = yield call.question(params["prompt"], params.get("timeout", 5), high)
        digits = str(digits or "").rstrip(params.get("terminator", "#"))
        if not valid(digits, low, high, params):
            if params.get("invalid"):
                yield call.tell(params["invalid"])
            continue
        if params.get("confirm"):  # read back: 1 keeps it, anything else re-enters
            call.vars["entered"] = " ".join(digits)
            if (yield call.question(params["confirm"], params.get("timeout", 5), 1)) != "1":
                continue
        call.vars[params["into"]] = call.collected[params["into"]] = digits
        return step.next
    return step.on_exhausted


def valid(digits: str, low: int, high: int, params: Mapping[str, Any]) -> bool:
    if not digits.isdigit() or not low <= len(digits) <= high:
        return False
    if "pattern" in params and not re.fullmatch(str(params["pattern"]), digits):
        return False
    return not params.get("luhn") or luhn_ok(digits)


COLLECT = StepType(
    "collect", check_collect, run_collect, routes=("next", "on_exhausted"),
    required=("prompt", "into"),
    fields={
        "prompt": TEXT,
        "into": {"type": "string", "minLength": 1,
                 "description": "The variable that receives the digits."},
        "min": COUNT,
        "max": COUNT,
        "terminator": {"type": "string"},
        "timeout": COUNT,
        "retries": COUNT,
        "pattern": {"type": "string", "format": "regex"},
        "luhn": {"type": "boolean"},
        "invalid": TEXT,
        "confirm": {**TEXT, "description": "Read-back: ${entered} is the digits spaced out; "
                    "1 keeps them, anything else re-enters."}},
    asks_caller=always)
