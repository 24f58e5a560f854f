"""The pure flow interpreter: one FlowRun per call, AGI results in, actions out.

No awaits and no sockets: the FastAGI session (ivr/runtime.py) and the dry-run simulator
(`flows simulate`) both drive it, so what admins simulate is what callers get. Even a goto to
another flow reads nothing: the run asks for that flow (Jump) and its driver supplies it.
FlowRun holds the call's state and walks the steps; what each step does is its step type's
run (ivr/steptypes/), which uses the helpers here to speak, ask and hear.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field

from contactcenter.ivr.events import IvrEvent
from contactcenter.ivr.model import Flow, Step
from contactcenter.speech.phrases import match_phrase
from contactcenter.speech.recognizer import Recognition

MAX_STEPS = 500  # a safety net: the validator already refuses loops without input
KEYS = re.compile(r"[0-9*#]+")  # an answer of keys; anything else is what the caller said
MIN_CONFIDENCE = 0.5  # [speech] min_confidence: below it, what was heard is confirmed
SAID = "said"  # the variable (and screen-pop field) of the caller's last words
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # ${name} in a text


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

    event: IvrEvent


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
        self.jumps = 0  # gotos to another flow since the caller was last asked something
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

    def tell(self, template: str | Mapping[str, str]) -> Play:
        return Play(self.text(template), language=self.language)

    def question(self, template: str | Mapping[str, str], timeout_s: int, max_digits: int,
                 phrases: tuple[str, ...] = (), free: bool = False) -> Ask:
        return Ask(self.text(template), timeout_s * 1000, max_digits, language=self.language,
                   phrases=phrases, free=free)

    def heard(self, step: Step, answer: object) -> Recognition | None:
        """What the caller said, if they spoke (a dry run's text is heard for sure), kept in
        `<step>_transcript`, `<step>_confidence` and `said` (the screen pop's "Caller said")."""
        if isinstance(answer, str) and answer and not KEYS.fullmatch(answer):
            answer = Recognition(answer)
        if not isinstance(answer, Recognition) or not answer.text:
            return None
        self.vars[f"{step.id}_transcript"] = self.vars[SAID] = answer.text
        self.vars[f"{step.id}_confidence"] = f"{answer.confidence:.2f}"
        return answer

    def spoken_key(self, heard: Recognition, phrases: Mapping[str, list[str]]) -> str | None:
        """The choice whose phrase the caller said: in the best transcript, else in an
        alternative; none when the engine is not confident enough (the step asks again)."""
        if heard.confidence < self.min_confidence:
            return None
        return next(filter(None, (match_phrase(text, phrases) for text in heard.texts)), None)

    def _steps(self) -> Generator[Action, Result, None]:
        step_id = self.flow.start
        for _ in range(MAX_STEPS):
            step = self.flow.steps[step_id]
            self.trail.append((self.flow.name, step.id))
            if step.asks_caller:
                self.jumps = 0
            next_id = yield from step.type.run(self, step)
            if next_id is None:
                return
            step_id = next_id
        yield Finish("error", self.last_step, reason=f"{MAX_STEPS} steps without leaving the IVR")
