"""The pure flow interpreter: one FlowRun per call, AGI results in, actions out.

No awaits and no sockets: the FastAGI session (ivr/runtime.py) and the dry-run simulator
(`flows simulate`) both drive it, so what admins simulate is what callers get. Even a goto to
another flow reads nothing: the run asks for that flow (Jump) and its driver supplies it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from contactcenter.cti import variables as cc
from contactcenter.cti.dialing import dial_number
from contactcenter.ivr.events import CallbackRequested
from contactcenter.ivr.flow import VARIABLE, Flow, Step, asks_caller
from contactcenter.ivr.hours import OpeningHours
from contactcenter.ivr.steps import CONDITION
from contactcenter.speech.intents import Intent, match_intent, vocabulary
from contactcenter.speech.phrases import match_phrase
from contactcenter.speech.recognizer import Recognition

MAX_STEPS = 500  # a safety net: the validator already refuses loops without input
MAX_JUMPS = 10  # gotos to another flow in a row with no question to the caller: a loop
LANGUAGE = "CC_LANGUAGE"  # channel variable: the language the caller chose
VOICEMAIL_CONTEXT = "contactcenter"  # voicemail.conf context, as asterisk-config uses
KEYS = re.compile(r"[0-9*#]+")  # an answer of keys; anything else is what the caller said
MIN_CONFIDENCE = 0.5  # [speech] min_confidence: below it, what was heard is confirmed
YES = ("yes", "yeah", "yep", "correct", "right", "that is right", "sure")
NO = ("no", "nope", "wrong", "not right", "that is wrong")
SAID = "said"  # the variable (and screen-pop field) of the caller's last words


@dataclass(frozen=True)
class CallInfo:
    uniqueid: str
    channel: str = ""
    caller_num: str = ""
    caller_name: str = ""
    dnis: str = ""


@dataclass(frozen=True)
class Play:
    """Play a prompt: `text` is spoken (kind say) or a sound file name (kind play), in
    `language` once the caller chose one ("" until then: the configured voice)."""

    text: str
    kind: str = "say"
    language: str = ""


@dataclass(frozen=True)
class Ask:
    """Play a prompt and read up to `max_digits` keys, or listen when `phrases` (a grammar:
    what a menu accepts) or `free` (an open question; the phrases are hints) say the caller
    may speak. The answer is the digits, a Recognition (or the text a dry run says), None
    for silence, or False when an open question cannot be heard (no recogniser free)."""

    text: str
    timeout_ms: int
    max_digits: int
    kind: str = "say"
    language: str = ""
    phrases: tuple[str, ...] = ()
    free: bool = False


@dataclass(frozen=True)
class SetVariable:
    name: str
    value: str


@dataclass(frozen=True)
class Exec:
    app: str
    data: str


@dataclass(frozen=True)
class Lookup:
    """Find a customer in the CRM by `by` (phone | account). The answer is the customer's
    fields (name, account, segment...), None when nobody matches, False when the CRM failed."""

    by: str
    value: str


@dataclass(frozen=True)
class Publish:
    """Put an event on the platform's bus (the callback step's CallbackRequested)."""

    event: object


@dataclass(frozen=True)
class Jump:
    """Go on in another flow. The answer is that flow's current version (the registry's,
    so a call takes it at the jump, not when it started), or None when there is none."""

    flow: str


@dataclass(frozen=True)
class Finish:
    """Where the call leaves the IVR: queued, transferred, voicemail (target: box@context),
    callback (queue, target: the number), hangup, or error (`reason` for the log)."""

    outcome: str
    step: str
    queue: str = ""
    target: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    reason: str = ""


Action = Play | Ask | SetVariable | Exec | Lookup | Publish | Jump | Finish
Result = str | bool | dict[str, str] | Flow | Recognition | None  # what an action gave back


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return bool(digits) and total % 10 == 0


class FlowRun:
    """Walks one flow for one call. `start()` gives the first action; `resume(result)`
    takes the result of the last one (digits or None for Ask, the customer's fields or
    None or False for Lookup, a Flow or None for Jump, True/False otherwise)."""

    def __init__(self, flow: Flow, call: CallInfo, *, clock: Callable[[], float] = time.time,
                 min_confidence: float = MIN_CONFIDENCE):
        self.flow = flow  # the flow the call is in now: a goto to another flow changes it
        self.entry = flow.name
        self.call = call
        self.clock = clock
        self.min_confidence = min_confidence
        self.trail: list[tuple[str, str]] = []  # (flow, step) of every step walked
        self.vars: dict[str, str] = {"caller_num": call.caller_num,
                                     "caller_name": call.caller_name, "dnis": call.dnis}
        self.collected: dict[str, str] = {}
        self.language = ""  # chosen by a language step
        self._jumps = 0  # gotos to another flow since the caller was last asked something
        self._walk = self._steps()

    @property
    def path(self) -> list[str]:
        """The steps walked; a step of another flow than the call's first as flow:step."""
        return [step if flow == self.entry else f"{flow}:{step}" for flow, step in self.trail]

    @property
    def last_step(self) -> str:
        return self.path[-1] if self.trail else ""

    def start(self) -> Action:
        return next(self._walk)

    def resume(self, result: Result) -> Action:
        return self._walk.send(result)

    def text(self, template: str | Mapping[str, str]) -> str:
        """The template with its ${variables}; of a per-language text, the caller's language
        (the flow's first language until they choose)."""
        if isinstance(template, Mapping):  # a flow gone to may lack the caller's language
            languages = self.flow.languages
            template = template[self.language if self.language in languages else languages[0]]
        return VARIABLE.sub(lambda m: self.vars.get(m.group(1), ""), str(template))

    def _tell(self, template: str | Mapping[str, str]) -> Play:
        return Play(self.text(template), language=self.language)

    def _question(self, template: str | Mapping[str, str], timeout_s: int, max_digits: int,
                  phrases: tuple[str, ...] = (), free: bool = False) -> Ask:
        return Ask(self.text(template), timeout_s * 1000, max_digits, language=self.language,
                   phrases=phrases, free=free)

    def _heard(self, step: Step, answer: Result) -> Recognition | None:
        """What the caller said, if they spoke (a dry run's text is heard for sure), kept in
        `<step>_transcript`, `<step>_confidence` and `said` (the screen pop's "Caller said")."""
        if isinstance(answer, str) and answer and not KEYS.fullmatch(answer):
            answer = Recognition(answer)
        if not isinstance(answer, Recognition) or not answer.text:
            return None
        self.vars[f"{step.id}_transcript"] = self.vars[SAID] = answer.text
        self.vars[f"{step.id}_confidence"] = f"{answer.confidence:.2f}"
        return answer

    def _steps(self) -> Generator[Action, Result, None]:
        step_id: str | None = self.flow.start
        for _ in range(MAX_STEPS):
            step = self.flow.steps[step_id]
            self.trail.append((self.flow.name, step.id))
            if asks_caller(step):
                self._jumps = 0
            decide = self._DECISIONS.get(step.action)
            if decide is not None:
                step_id = decide(self, step)
            else:
                step_id = yield from getattr(self, f"_{step.action}")(step)
            if step_id is None:
                return
        yield Finish("error", self.last_step, reason=f"{MAX_STEPS} steps without leaving the IVR")

    # -- steps that ask and tell the caller nothing: a plain decision of the next step --

    def _set(self, step: Step) -> str | None:
        for name, value in step.params.items():
            self.vars[str(name)] = self.text(str(value))
        return step.next

    def _branch(self, step: Step) -> str | None:
        for case in step.params.get("cases", []):
            if self._holds(case["if"]):
                return case["goto"]
        return step.params["otherwise"]

    def _holds(self, condition: str) -> bool:
        name, op, operand = CONDITION.fullmatch(condition).groups()  # type: ignore[union-attr]
        value = self.vars.get(name, "")
        operand = self.text(operand.strip("'\""))
        if op == "==":
            return value == operand
        if op == "!=":
            return value != operand
        if op == "matches":
            return re.fullmatch(operand, value) is not None
        return (not value) if operand == "empty" else bool(value)  # is empty / is set

    def _hours(self, step: Step) -> str | None:
        now = datetime.fromtimestamp(self.clock(), UTC)
        return step.next if OpeningHours.from_step(step.params).is_open(now) \
            else step.params["closed"]

    _DECISIONS: dict[str, Callable[[FlowRun, Step], str | None]] = {
        "set": _set, "branch": _branch, "hours": _hours}

    # -- one generator per action: yields actions, returns the next step id (None: done) --

    def _goto(self, step: Step) -> Generator[Action, object, str | None]:
        """A step of this flow, or another flow (its start, or a step of it). A flow or step
        the driver does not have takes on_error, else ends the call as an error, as does a
        loop of flows that never asks the caller anything."""
        if isinstance(step.params, str):
            return step.params
        name = step.params["flow"]
        self._jumps += 1
        if self._jumps > MAX_JUMPS:
            yield Finish("error", self.last_step, reason=f"{MAX_JUMPS} gotos to another flow "
                         f"in a row without asking the caller anything (a loop of flows?)")
            return None
        flow = yield Jump(name)
        target = step.params.get("step") or getattr(flow, "start", "")
        if not isinstance(flow, Flow) or target not in flow.steps:
            if step.on_error:
                return step.on_error
            yield Finish("error", self.last_step, reason=f"goto: no flow {name!r} with step "
                         f"{target or 'start'!r} to go to")
            return None
        self.flow = flow
        return target

    def _say(self, step: Step) -> Generator[Action, object, str | None]:
        ok = yield self._tell(step.params)
        return step.next if ok or not step.on_error else step.on_error

    def _play(self, step: Step) -> Generator[Action, object, str | None]:
        ok = yield Play(step.params, kind="play")
        return step.next if ok or not step.on_error else step.on_error

    def _menu(self, step: Step) -> Generator[Action, object, str | None]:
        chosen = yield from self._choose(step)
        if chosen is None:
            return step.on_exhausted
        if "into" in step.params:  # the key, kept as an answer like collect's digits
            into = step.params["into"]
            self.vars[into] = self.collected[into] = self.vars[f"{step.id}_choice"]
        return chosen

    def _choose(self, step: Step) -> Generator[Action, object, str | None]:
        """Ask until the caller picks a choice by key or by saying one of its phrases: its
        target, or None when the retries run out. The key is kept as `<step>_choice`."""
        params = step.params
        choices = {str(k): str(v["goto"] if isinstance(v, Mapping) else v)
                   for k, v in params["choices"].items()}
        phrases = {str(k): v.get("say", []) for k, v in params["choices"].items()
                   if isinstance(v, Mapping)}
        grammar = tuple(str(p) for said in phrases.values() for p in said)
        for _ in range(params.get("retries", 2) + 1):
            answer = yield self._question(params["prompt"], params.get("timeout", 5), 1,
                                          grammar)
            heard = self._heard(step, answer)
            key = answer if heard is None else self._spoken_key(heard, phrases)
            if key in choices:
                self.vars[f"{step.id}_choice"] = str(key)
                if heard is not None:
                    self.vars[f"{step.id}_intent"] = choices[str(key)]
                return choices[str(key)]
            apology = params.get("no_input" if not answer else "invalid")
            if apology:
                yield self._tell(apology)
        return None

    def _spoken_key(self, heard: Recognition, phrases: Mapping[str, list[str]]) -> str | None:
        """The choice whose phrase the caller said: in the best transcript, else in an
        alternative; none when the engine is not confident enough (the menu asks again)."""
        if heard.confidence < self.min_confidence:
            return None
        return next(filter(None, (match_phrase(text, phrases) for text in heard.texts)), None)

    def _ask(self, step: Step) -> Generator[Action, object, str | None]:
        """An open question: what the caller says is scored against the intents; a clear
        winner is taken, a doubtful one confirmed. Silence and no match ask again (the
        retries); a key, or no recogniser free, goes to on_exhausted (the key menu) at once,
        as do the retries running out."""
        params = step.params
        intents = {str(name): Intent(tuple(map(str, spec.get("say", []))),
                                     tuple(map(str, spec.get("keywords", []))))
                   for name, spec in params["intents"].items()}
        timeout = params.get("timeout", 5)
        for _ in range(params.get("retries", 2) + 1):
            answer = yield self._question(params["prompt"], timeout, 1,
                                          vocabulary(intents.values()), free=True)
            if answer is False or (isinstance(answer, str) and KEYS.fullmatch(answer)):
                break
            heard = self._heard(step, answer)
            match = heard and match_intent(heard, intents, min_confidence=self.min_confidence)
            if match and (match.sure or (yield from self._confirmed(step, match.intent))):
                self.vars[f"{step.id}_intent"] = match.intent
                return str(params["intents"][match.intent]["goto"])
            apology = params.get("no_input" if heard is None else "no_match")
            if apology:
                yield self._tell(apology)
        return step.on_exhausted

    def _confirmed(self, step: Step, intent: str) -> Generator[Action, object, bool]:
        """'You want billing, is that right?': yes (or key 1) confirms, anything else not.
        ${intent} in the text is the intent's label (default: its name)."""
        params = step.params
        spec = params["intents"][intent]
        self.vars["intent"] = self.text(spec.get("label", intent.replace("_", " ")))
        answers = {"1": list(params.get("yes", YES)), "2": list(params.get("no", NO))}
        answer = yield self._question(params.get("confirm", "You want ${intent}, is that "
                                                 "right? Say yes or no."),
                                      params.get("timeout", 5), 1,
                                      tuple(p for said in answers.values() for p in said))
        heard = self._heard(step, answer)
        return (answer if heard is None else self._spoken_key(heard, answers)) == "1"

    def _language(self, step: Step) -> Generator[Action, object, str | None]:
        """The language of the rest of the call: its texts, the TTS voice, and Asterisk's
        CHANNEL(language) for sound files. Retries run out: the call goes on as it was."""
        chosen = step.params if isinstance(step.params, str) else (yield from self._choose(step))
        if chosen is None:
            return step.on_exhausted or step.next
        self.language = self.vars["language"] = chosen
        yield SetVariable("CHANNEL(language)", chosen)
        yield SetVariable(LANGUAGE, chosen)
        return step.next

    def _collect(self, step: Step) -> Generator[Action, object, str | None]:
        params = step.params
        low, high = params.get("min", 1), params.get("max", 20)
        for _ in range(params.get("retries", 2) + 1):
            digits = yield self._question(params["prompt"], params.get("timeout", 5), high)
            digits = str(digits or "").rstrip(params.get("terminator", "#"))
            if not self._valid(digits, low, high, params):
                if params.get("invalid"):
                    yield self._tell(params["invalid"])
                continue
            if params.get("confirm"):  # read back: 1 keeps it, anything else re-enters
                self.vars["entered"] = " ".join(digits)
                if (yield self._question(params["confirm"], params.get("timeout", 5), 1)) != "1":
                    continue
            self.vars[params["into"]] = self.collected[params["into"]] = digits
            return step.next
        return step.on_exhausted

    @staticmethod
    def _valid(digits: str, low: int, high: int, params: dict) -> bool:
        if not digits.isdigit() or not low <= len(digits) <= high:
            return False
        if "pattern" in params and not re.fullmatch(str(params["pattern"]), digits):
            return False
        return not params.get("luhn") or luhn_ok(digits)

    def _lookup(self, step: Step) -> Generator[Action, object, str | None]:
        params = step.params
        value = self.text(str(params.get("value", "${caller_num}"))).strip()
        found = (yield Lookup(params.get("by", "phone"), value)) if value else None
        if found is False:
            return step.on_error
        if not isinstance(found, dict):
            return params["not_found"]
        for name, field_value in found.items():
            self.vars[f"{params.get('into', 'customer')}_{name}"] = str(field_value)
        return params["found"]

    def _fields(self, params: Mapping[str, object]) -> dict[str, str]:
        """The screen-pop fields: the variables the step lists (else all collected digits),
        and what the caller last said."""
        wanted = [*(params.get("fields") or self.collected), SAID]  # type: ignore[misc]
        return {name: self.vars[name] for name in wanted if self.vars.get(name)}

    def _ivr_path(self) -> str:
        return ",".join(f"{flow}:{step}" for flow, step in self.trail)

    def _queue(self, step: Step) -> Generator[Action, object, str | None]:
        params = step.params
        values = {
            cc.CALL_ID: self.call.uniqueid,
            cc.QUEUE: params["name"],
            cc.PRIORITY: str(params.get("priority", 0)),
            cc.SKILLS: ",".join(f"{k}:{v}" for k, v in (params.get("skills") or {}).items()),
            cc.ENTERED: f"{self.clock():.3f}",
            cc.ENTRY: f"{self.clock():.6f}",  # a new entry (acd/entry.py)
            cc.FIELDS: urlencode(self._fields(params)),
            cc.IVR_PATH: self._ivr_path(),
            cc.FLOW: f"{self.flow.name}@{self.flow.version}" if self.flow.version
            else self.flow.name,
        }
        for name, value in values.items():
            yield SetVariable(name, value)
        yield Finish("queued", self.last_step, queue=params["name"], variables=values)
        return None

    def _voicemail(self, step: Step) -> Generator[Action, object, str | None]:
        """VoiceMail(box@context,u) on the channel; the call ends when the caller is done
        (the dialplan hangs up: no CC_QUEUE). A refused application takes on_error."""
        params = step.params if isinstance(step.params, Mapping) else {"box": step.params}
        mailbox = f"{self.text(params['box'])}@{params.get('context', VOICEMAIL_CONTEXT)}"
        if params.get("prompt"):
            yield self._tell(params["prompt"])
        if not (yield Exec("VoiceMail", f"{mailbox},u")):
            return step.on_error
        yield Finish("voicemail", self.last_step, target=mailbox)
        return None

    def _callback(self, step: Step) -> Generator[Action, object, str | None]:
        """The ACD keeps the caller's place in the queue and calls them back (the event);
        the caller hears the confirmation and the call ends. A number that cannot be
        dialled (withheld, too short) takes on_error, e.g. to collect one."""
        params = step.params
        number = dial_number(self.text(params.get("number", "${caller_num}")))
        if number is None:
            return step.on_error
        yield Publish(CallbackRequested(
            self.call.uniqueid, params["queue"], number, self.vars.get("caller_name", ""),
            params.get("priority", 0), {str(k): int(v) for k, v in
                                        (params.get("skills") or {}).items()},
            self._fields(params), self._ivr_path(), self.clock()))
        if params.get("confirm"):
            yield self._tell(params["confirm"])
        yield Finish("callback", self.last_step, queue=params["queue"], target=number)
        return None

    def _transfer(self, step: Step) -> Generator[Action, object, str | None]:
        target = self.text(step.params)
        yield Exec("Transfer", target)
        yield Finish("transferred", self.last_step, target=target)
        return None

    def _hangup(self, step: Step) -> Generator[Action, object, str | None]:
        if isinstance(step.params, str | Mapping):
            yield self._tell(step.params)
        yield Finish("hangup", self.last_step)
        return None
