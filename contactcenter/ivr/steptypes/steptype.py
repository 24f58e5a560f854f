"""What a step type is: everything the loader, the checker, the interpreter, the dry run and
the JSON Schema know about one action, in one frozen value."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contactcenter.ivr.interpreter import Action, Finish, FlowRun
from contactcenter.ivr.model import Step
from contactcenter.ivr.steptypes.check import LANGUAGE_CODE, StepCheck

Schema = dict[str, Any]  # a JSON Schema fragment
Check = Callable[[StepCheck], None]
"""Adds an error for each mistake in the step's value (StepCheck has the shared checks)."""
Run = Callable[[FlowRun, Step], Generator[Action, object, str | None]]
"""Walks a checked step for one call: yields actions, is sent their results, and returns
the next step's id (None: the call has left the IVR)."""

ROUTES = {  # the routing keys any step may have, and what each means
    "next": "where the call goes after",
    "on_exhausted": "where the call goes when retries run out",
    "on_error": "where the call goes when the step fails",
}

DEFINITIONS: dict[str, Schema] = {  # JSON Schema definitions that step types share
    "stepName": {"type": "string", "minLength": 1},
    "languageCode": {"type": "string", "pattern": f"^{LANGUAGE_CODE.pattern}$"},
    "text": {
        "description": "Spoken text (${variable} is replaced), or one text per language of "
                       "the flow.",
        "oneOf": [{"type": "string", "minLength": 1},
                  {"type": "object", "minProperties": 1,
                   "propertyNames": {"$ref": "#/$defs/languageCode"},
                   "additionalProperties": {"type": "string", "minLength": 1}}]},
    "count": {"type": "integer", "minimum": 0},
    "phrases": {"type": "array", "items": {"type": "string", "minLength": 1}},
}


def ref(name: str) -> Schema:
    """A reference to a definition of the schema: one of DEFINITIONS, or a step type's
    mapping of fields (named for the type)."""
    return {"$ref": f"#/$defs/{name}"}


STEP_NAME = ref("stepName")
LANGUAGE = ref("languageCode")
TEXT = ref("text")
COUNT = ref("count")
PHRASES = ref("phrases")


def nowhere(params: Any) -> Iterable[object]:
    return ()


def never(params: Any) -> bool:
    return False


def always(params: Any) -> bool:
    return True


def decision(decide: Callable[[FlowRun, Step], str | None]) -> Run:
    """The run of a step that asks and tells the caller nothing: a plain choice of the next
    step."""
    def run(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
        yield from ()
        return decide(call, step)
    return run


@dataclass(frozen=True)
class Ending:
    """How a step type ends the IVR: the Finish outcome its run yields, and how a dry run
    says where the call went ("queued" + " in queue billing")."""

    outcome: str
    where: Callable[[Finish], str] = lambda finish: ""


@dataclass(frozen=True, eq=False, repr=False)
class StepType:
    """One action of the flow language. Its value is `value` (a text, a step name...), or a
    mapping of `fields` (each with its JSON Schema; `required` ones), or either. `routes` are
    the routing keys a step of this type must have, so that no outcome is left undefined;
    `targets` the other step names its value can lead to; `asks_caller`, whether a step
    waits for the caller's answer (so that a loop through it can end)."""

    name: str
    check: Check
    run: Run
    description: str = ""
    value: Schema | None = None
    fields: Mapping[str, Schema] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    targets: Callable[[Any], Iterable[object]] = nowhere
    asks_caller: Callable[[Any], bool] = never
    ending: Ending | None = None

    def __repr__(self) -> str:
        return f"StepType({self.name!r})"
