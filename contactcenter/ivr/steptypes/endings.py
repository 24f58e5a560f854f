"""Steps where the call leaves the IVR: queue (wait for an agent), callback (keep the place,
be called back), voicemail, transfer, hangup. Queue and callback share the queue check and
the screen-pop fields they hand the ACD."""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from urllib.parse import urlencode

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from contactcenter.cti import variables as cc
from contactcenter.cti.dialing import dial_number
from contactcenter.ivr.events import CallbackRequested
from contactcenter.ivr.interpreter import SAID, Action, Exec, Finish, FlowRun, Publish, SetVariable
from contactcenter.ivr.model import Step
from contactcenter.ivr.steptypes.check import NAME, StepCheck
from contactcenter.ivr.steptypes.steptype import COUNT, TEXT, Ending, Schema, StepType

MAILBOX = re.compile(r"([A-Za-z0-9_.-]|\$\{[A-Za-z_][A-Za-z0-9_]*\})+")  # no @ or ,
VOICEMAIL_CONTEXT = "contactcenter"  # voicemail.conf context, as asterisk-config uses
QUEUED = Ending("queued", lambda end: f" in queue {end.queue}")
CALLBACK = Ending("callback", lambda end: f" to {end.target} from queue {end.queue}")
VOICEMAIL = Ending("voicemail", lambda end: f" in {end.target}")
TRANSFERRED = Ending("transferred", lambda end: f" to {end.target}")
HUNG_UP = Ending("hangup")


def check_queue(check: StepCheck, key: str = "name") -> None:
    """The queue (its `key` names one of queues.yaml) and what the ACD gets with it."""
    if not check.mapping():
        return
    params, known, where = check.params, check.context.known_queues, check.where
    queue = params.get(key)
    if not isinstance(queue, str):
        check.errors.add(params, f"{where} needs a queue {key!r}", None)
    elif known is not None and queue not in known:
        check.errors.add(params, f"{where}: unknown queue {queue!r} (known: "
                         f"{', '.join(sorted(known))})", key)
    if "skills" in params and not isinstance(params["skills"], CommentedMap):
        check.errors.add(params, f"{where}: skills is a mapping of skill to minimum level",
                         "skills")
    if "fields" in params and not isinstance(params["fields"], CommentedSeq):
        check.errors.add(params, f"{where}: fields is a list of variable names", "fields")


def check_callback(check: StepCheck) -> None:
    check_queue(check, "queue")
    if isinstance(check.params, CommentedMap):
        check.text("confirm")
        if not isinstance(check.params.get("number", ""), str):
            check.errors.add(check.params, f"{check.where}: number is a text such as "
                             "${callback_number}", "number")


def check_voicemail(check: StepCheck) -> None:
    """`voicemail: support`, or a mapping with the box, its context and a prompt."""
    params = check.params
    if isinstance(params, str):
        box: object = params
    elif check.mapping():
        box = params.get("box")
        check.text("prompt")
        if not NAME.fullmatch(str(params.get("context", VOICEMAIL_CONTEXT))):
            check.errors.add(params, f"{check.where}: context is a voicemail.conf context "
                             "name", "context")
    else:
        return
    if not isinstance(box, str) or not MAILBOX.fullmatch(box):
        where, key = ((check.node, check.action) if isinstance(params, str)
                      else (params, "box" if "box" in params else None))
        check.errors.add(where, f"{check.where} needs a mailbox 'box' (letters, digits, "
                         "${variables}; no @ or comma)", key)


def check_hangup(check: StepCheck) -> None:
    if check.params in (None, True):
        return
    if not isinstance(check.params, str | CommentedMap):
        check.errors.add(check.node, f"{check.where} takes an optional goodbye text",
                         check.action)
    else:
        check.spoken(check.node, check.action, check.where)


def pop_fields(call: FlowRun, params: Mapping[str, object]) -> dict[str, str]:
    """The screen-pop fields: the variables the step lists (else all collected answers),
    and what the caller last said."""
    wanted = [*(params.get("fields") or call.collected), SAID]  # type: ignore[misc]
    return {name: call.vars[name] for name in wanted if call.vars.get(name)}


def ivr_path(call: FlowRun) -> str:
    return ",".join(f"{flow}:{step}" for flow, step in call.trail)


def run_queue(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    params, flow = step.params, call.flow
    values = {
        cc.CALL_ID: call.call.uniqueid,
        cc.QUEUE: params["name"],
        cc.PRIORITY: str(params.get("priority", 0)),
        cc.SKILLS: ",".join(f"{k}:{v}" for k, v in (params.get("skills") or {}).items()),
        cc.ENTERED: f"{call.clock():.3f}",
        cc.ENTRY: f"{call.clock():.6f}",  # a new entry (acd/entry.py)
        cc.FIELDS: urlencode(pop_fields(call, params)),
        cc.IVR_PATH: ivr_path(call),
        cc.FLOW: f"{flow.name}@{flow.version}" if flow.version else flow.name,
    }
    for name, value in values.items():
        yield SetVariable(name, value)
    yield Finish(QUEUED.outcome, call.last_step, queue=params["name"], variables=values)
    return None


def run_callback(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    """The ACD keeps the caller's place in the queue and calls them back (the event); the
    caller hears the confirmation and the call ends. A number that cannot be dialled
    (withheld, too short) takes on_error, e.g. to collect one."""
    params = step.params
    number = dial_number(call.text(params.get("number", "${caller_num}")))
    if number is None:
        return step.on_error
    yield Publish(CallbackRequested(
        call.call.uniqueid, params["queue"], number, call.vars.get("caller_name", ""),
        params.get("priority", 0), {str(k): int(v) for k, v in
                                    (params.get("skills") or {}).items()},
        pop_fields(call, params), ivr_path(call), call.clock()))
    if params.get("confirm"):
        yield call.tell(params["confirm"])
    yield Finish(CALLBACK.outcome, call.last_step, queue=params["queue"], target=number)
    return None


def run_voicemail(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    """VoiceMail(box@context,u) on the channel; the call ends when the caller is done (the
    dialplan hangs up: no CC_QUEUE). A refused application takes on_error."""
    params = step.params if isinstance(step.params, Mapping) else {"box": step.params}
    mailbox = f"{call.text(params['box'])}@{params.get('context', VOICEMAIL_CONTEXT)}"
    if params.get("prompt"):
        yield call.tell(params["prompt"])
    if not (yield Exec("VoiceMail", f"{mailbox},u")):
        return step.on_error
    yield Finish(VOICEMAIL.outcome, call.last_step, target=mailbox)
    return None


def run_transfer(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    target = call.text(step.params)
    yield Exec("Transfer", target)
    yield Finish(TRANSFERRED.outcome, call.last_step, target=target)
    return None


def run_hangup(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    if isinstance(step.params, str | Mapping):
        yield call.tell(step.params)
    yield Finish(HUNG_UP.outcome, call.last_step)
    return None


SKILLS: Schema = {"type": "object", "additionalProperties": COUNT}
MAILBOX_NAME: Schema = {"type": "string", "pattern": f"^{MAILBOX.pattern}$"}
QUEUE = StepType(
    "queue", check_queue, run_queue, required=("name",), ending=QUEUED, fields={
        "name": {"type": "string", "description": "A queue of queues.yaml."},
        "priority": COUNT,
        "skills": SKILLS,
        "fields": {"type": "array", "items": {"type": "string"},
                   "description": "Variables shown in the screen pop."}})
VOICEMAIL_STEP = StepType(
    "voicemail", check_voicemail, run_voicemail,
    "Leave a message in a mailbox (box@context).", value=MAILBOX_NAME, routes=("on_error",),
    required=("box",), ending=VOICEMAIL, fields={
        "box": MAILBOX_NAME,
        "context": {"type": "string", "pattern": f"^{NAME.pattern}$",
                    "description": f"voicemail.conf context; default {VOICEMAIL_CONTEXT}."},
        "prompt": TEXT})
CALLBACK_STEP = StepType(
    "callback", check_callback, run_callback, routes=("on_error",), required=("queue",),
    ending=CALLBACK, fields={
        "queue": {"type": "string", "description": "A queue of queues.yaml: the callback "
                  "keeps the caller's place in it."},
        "number": {"type": "string", "description": "The number to call back; default "
                   "${caller_num}."},
        "priority": COUNT,
        "skills": SKILLS,
        "fields": {"type": "array", "items": {"type": "string"}},
        "confirm": TEXT})
TRANSFER = StepType("transfer", StepCheck.plain_text, run_transfer,
                    "A dial string, e.g. PJSIP/operator.", value={"type": "string",
                                                                 "minLength": 1},
                    ending=TRANSFERRED)
HANGUP = StepType("hangup", check_hangup, run_hangup, "An optional goodbye text.",
                  value={"anyOf": [{"type": "null"}, {"const": True}, TEXT]}, ending=HUNG_UP)
