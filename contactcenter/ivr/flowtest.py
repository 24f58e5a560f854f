"""Flow tests: YAML files admins write (flows/tests/*.yaml) that walk a flow with scripted
answers and state the steps it takes, what the caller hears, the variables it sets and
where the call ends. A mistake in a test file and a failed expectation are both reported
as `file:line:column: message`, at the line of the expectation that failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from contactcenter.cti import variables as cc
from contactcenter.errors import FlowError
from contactcenter.ivr.dryrun import (
    Answer,
    DryRun,
    FindCustomer,
    Hear,
    Recording,
    crm_down,
    describe_end,
    dry_run,
    fixture_crm,
)
from contactcenter.ivr.interpreter import MIN_CONFIDENCE, CallInfo, Finish
from contactcenter.ivr.model import Flow
from contactcenter.ivr.yamlsource import Errors, read_yaml
from contactcenter.speech.recognizer import Recognition

DEFAULT_CALLER = "+14155550123"
TOP_FIELDS = {"flow", "caller", "at", "customers", "tests", "description"}
TEST_FIELDS = {"name", "caller", "caller_name", "dnis", "at", "crm", "inputs", "path", "hears",
               "variables", "ends"}
# `ends:` mapping key -> the Finish outcome it expects, and the Finish field holding its value
ENDS = {"queue": ("queued", "queue"), "transfer": ("transferred", "target"),
        "voicemail": ("voicemail", "target"), "callback": ("callback", "queue"),
        "hangup": ("hangup", ""), "error": ("error", "")}
END_EXTRAS = {"step", "variables", "fields", "number"}
Fail = Callable[..., None]  # fail(message, node, key): one failed expectation at its position


@dataclass(frozen=True)
class FlowTest:
    """One scripted call and its expectations; `node` is its YAML mapping (positions)."""

    file: str
    name: str
    flow: str
    call: CallInfo
    inputs: tuple[Answer, ...]
    at: float | None
    find: FindCustomer
    node: CommentedMap


def _read(path: str | Path, errors: Errors) -> CommentedMap | None:
    doc = read_yaml(path, errors)
    if errors.found:
        return None
    if not isinstance(doc, CommentedMap):
        errors.found.append(FlowError("a flow test file is a mapping with flow and tests",
                                      errors.file, 1, 1))
        return None
    return doc


def load_customers(path: str | Path) -> tuple[list[dict[str, object]], list[FlowError]]:
    """The fixture customers of a file (`customers:`, as in a flow test file)."""
    errors = Errors(str(path))
    doc = _read(path, errors)
    return ([] if doc is None else _customers(doc, errors)), errors.found


def _customers(doc: CommentedMap, errors: Errors) -> list[dict[str, object]]:
    """`customers: [{name, phones: [...], account, segment...}]`: what lookups find."""
    found = doc.get("customers", CommentedSeq())
    if not isinstance(found, CommentedSeq):
        errors.add(doc, "customers is a list of {name, phones, account, segment...}",
                   "customers")
        return []
    customers = []
    for i, customer in enumerate(found):
        if not (isinstance(customer, CommentedMap) and isinstance(customer.get("name"), str)
                and isinstance(customer.get("phones", CommentedSeq()), CommentedSeq)):
            errors.add(found, f"customer {i + 1} needs a name, and phones as a list", i)
            continue
        customers.append(dict(customer))
    return customers


def load_tests(path: str | Path) -> tuple[list[FlowTest], list[FlowError]]:
    """Parse one test file: its tests, and every mistake in it."""
    errors = Errors(str(path))
    doc = _read(path, errors)
    if doc is None:
        return [], errors.found
    for key in doc:
        if key not in TOP_FIELDS:
            errors.add(doc, f"unknown field {key!r} (known: {', '.join(sorted(TOP_FIELDS))})",
                       key)
    if not isinstance(doc.get("flow"), str):
        errors.add(doc, "'flow' names the flow under test", "flow" if "flow" in doc else None)
    tests = doc.get("tests")
    if not isinstance(tests, CommentedSeq) or not tests:
        errors.add(doc, "'tests' is a non-empty list of tests", "tests" if "tests" in doc else None)
        return [], errors.found
    crm = fixture_crm(_customers(doc, errors))
    found = [_load_test(node, i, doc, crm, errors) for i, node in enumerate(tests)]
    return [t for t in found if t is not None], errors.found


def _load_test(node: Any, index: int, doc: CommentedMap, crm: FindCustomer,
               errors: Errors) -> FlowTest | None:
    if not isinstance(node, CommentedMap):
        errors.add(doc["tests"], f"test {index + 1} must be a mapping", index)
        return None
    known = len(errors.found)
    for key in node:
        if key not in TEST_FIELDS:
            errors.add(node, f"unknown field {key!r} (known: {', '.join(sorted(TEST_FIELDS))})",
                       key)
    name = node.get("name")
    if not isinstance(name, str) or not name:
        errors.add(node, f"test {index + 1} needs a 'name'", "name" if "name" in node else None)
    inputs = node.get("inputs", CommentedSeq())
    if not isinstance(inputs, CommentedSeq):
        errors.add(node, "inputs is a list of keys (\"1001#\"), phrases, {say: words}, "
                   "{audio: file.wav} or ~ for silence", "inputs")
        inputs = []
    answers = [_answer(item, inputs, i, errors) for i, item in enumerate(inputs)]
    for key in ("path", "hears"):
        if key in node and not isinstance(node[key], CommentedSeq):
            errors.add(node, f"{key} is a list", key)
    if "variables" in node and not isinstance(node["variables"], CommentedMap):
        errors.add(node, "variables is a mapping of variable name to value", "variables")
    if "ends" in node:
        _check_ends(node["ends"], node, errors)
    if node.get("crm", "up") not in ("up", "down"):
        errors.add(node, "crm is up (lookups use the customers) or down (they fail)", "crm")
    at = _at(node.get("at", doc.get("at")), node if "at" in node else doc, errors)
    if len(errors.found) > known:  # a test that cannot be read is reported, not run
        return None
    caller = str(node.get("caller", doc.get("caller", DEFAULT_CALLER)))
    call = CallInfo(uniqueid="flow-test", caller_num=caller,
                    caller_name=str(node.get("caller_name", "")), dnis=str(node.get("dnis", "")))
    return FlowTest(errors.file, str(name), str(doc.get("flow")), call, tuple(answers), at,
                    crm_down if node.get("crm") == "down" else crm, node)


def _answer(item: Any, inputs: CommentedSeq, index: int, errors: Errors) -> Answer:
    """One input: keys or words (text), {say: words} (spoken, sure), {audio: file.wav}
    (a recording the recogniser hears; relative to the test file), or ~ (silence)."""
    if item is None:
        return None
    if isinstance(item, CommentedMap) and len(item) == 1 and isinstance(
            item.get("say", item.get("audio")), str):
        if "say" in item:
            return Recognition(item["say"])
        path = Path(errors.file).parent / item["audio"]
        if not path.is_file():
            errors.add(item, f"no audio file {str(path)!r}", "audio")
        return Recording(path)
    if isinstance(item, CommentedMap | CommentedSeq):
        errors.add(inputs, "an input is keys (\"1001#\"), words, {say: words}, "
                   "{audio: file.wav} or ~ for silence", index)
        return None
    return str(item)


def _check_ends(ends: Any, node: CommentedMap, errors: Errors) -> None:
    if isinstance(ends, str):
        if ends not in ENDS:
            errors.add(node, f"ends: {ends!r} is not one of {', '.join(ENDS)}", "ends")
        return
    if not isinstance(ends, CommentedMap):
        errors.add(node, "ends is an outcome (hangup) or a mapping such as {queue: billing}",
                   "ends")
        return
    kinds = [key for key in ends if key in ENDS]
    if len(kinds) != 1:
        errors.add(node, f"ends needs exactly one of {', '.join(ENDS)}", "ends")
    for key in ends:
        if key not in ENDS and key not in END_EXTRAS:
            errors.add(ends, f"ends: unknown field {key!r}", key)
    for key in ("variables", "fields"):
        if key in ends and not isinstance(ends[key], CommentedMap):
            errors.add(ends, f"ends: {key} is a mapping of name to value", key)


def _at(value: Any, node: CommentedMap, errors: Errors) -> float | None:
    """The call's clock (for hours steps): an ISO date-time with its UTC offset."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        errors.add(node, "at is a date and time with its offset, e.g. "
                   "2026-11-23T10:00:00-05:00", "at")
        return None
    return value.timestamp()


def run_test(test: FlowTest, flows: Mapping[str, Flow], *, hear: Hear | None = None,
             min_confidence: float = MIN_CONFIDENCE) -> list[FlowError]:
    """Walk the flow as the test says (`hear` recognises its audio inputs); one error per
    expectation that does not hold."""
    errors = Errors(test.file)
    node = test.node

    def fail(message: str, where: Any = node, key: Any = None) -> None:
        errors.add(where, f"test {test.name!r}: {message}", key)

    flow = flows.get(test.flow)
    if flow is None:
        fail(f"no valid flow named {test.flow!r}")
        return errors.found
    at = test.at
    result = dry_run(flow, test.call, test.inputs, find=test.find, flows=flows,
                     clock=time.time if at is None else (lambda: at), hear=hear,
                     min_confidence=min_confidence)

    if "path" in node and [str(s) for s in node["path"]] != list(result.path):
        fail(f"path: expected {' > '.join(map(str, node['path']))}, "
             f"got {' > '.join(result.path)}", node, "path")
    for i, text in enumerate(node.get("hears") or []):
        if not any(str(text) in heard for heard in result.heard):
            fail(f"the caller never hears {str(text)!r}", node["hears"], i)
    _compare(fail, "variable", node.get("variables"), result.variables)
    if "ends" in node:
        _check_end(fail, node, result)
    if result.unused:
        fail(f"the flow ended before using the inputs {list(result.unused)}", node, "inputs")
    return errors.found


def _check_end(fail: Fail, node: CommentedMap, result: DryRun) -> None:
    ends, finish = node["ends"], result.finish
    kind = ends if isinstance(ends, str) else next(k for k in ends if k in ENDS)
    outcome, attribute = ENDS[kind]
    got = describe_end(finish)
    if finish.outcome != outcome or (attribute and isinstance(ends, CommentedMap)
                                     and str(ends[kind]) != getattr(finish, attribute)):
        fail(f"ends: expected {kind}"
             f"{'' if isinstance(ends, str) else ' ' + str(ends[kind])}, got {got}",
             node, "ends")
        return
    if not isinstance(ends, CommentedMap):
        return
    if "step" in ends and str(ends["step"]) != finish.step:
        fail(f"ends at step {finish.step!r}, expected {ends['step']!r}", ends, "step")
    if "number" in ends and str(ends["number"]) != finish.target:
        fail(f"calls back {finish.target!r}, expected {ends['number']!r}", ends, "number")
    _compare(fail, "channel variable", ends.get("variables"), finish.variables)
    _compare(fail, "field", ends.get("fields"), _fields(finish))


def _fields(finish: Finish) -> dict[str, str]:
    return dict(parse_qsl(finish.variables.get(cc.FIELDS, "")))


def _compare(fail: Fail, what: str, expected: Any, got: Mapping[str, str]) -> None:
    if not isinstance(expected, CommentedMap):
        return
    for name, value in expected.items():
        actual = got.get(str(name))
        if actual != str(value):
            shown = "not set" if actual is None else repr(actual)
            fail(f"{what} {name}: expected {str(value)!r}, got {shown}", expected, name)
