"""Steps that offer choices by key (or by saying a choice's phrases): menu, and language, a
menu whose choices are the flow's languages. Both ask with the same loop (`choose`)."""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap

from contactcenter.ivr.interpreter import Action, FlowRun, SetVariable
from contactcenter.ivr.model import Step
from contactcenter.ivr.steptypes.check import NAME, StepCheck
from contactcenter.ivr.steptypes.steptype import COUNT, LANGUAGE, STEP_NAME, TEXT, StepType, always

KEY = re.compile(r"[0-9*#]")  # a choice's key
LANGUAGE_VARIABLE = "CC_LANGUAGE"  # channel variable: the language the caller chose


def check_choices(check: StepCheck, leading_to: str) -> CommentedMap | None:
    """Prompts and choices (one key each, `leading_to` step names or languages); the
    choices, when readable."""
    if not check.mapping():
        return None
    params = check.params
    check.text("prompt", required=True)
    check.text("invalid")
    check.text("no_input")
    choices = params.get("choices")
    if not isinstance(choices, CommentedMap) or not choices:
        check.errors.add(params, f"{check.where} needs 'choices': keys to {leading_to}",
                         "choices" if "choices" in params else None)
        return None
    for key in choices:
        if not KEY.fullmatch(str(key)):
            check.errors.add(choices, f"{check.where}: choice {key!r} is not one key 0-9, * "
                             "or #", key)
    return choices


def check_menu(check: StepCheck) -> None:
    choices = check_choices(check, "step names")
    if choices is None:
        return
    check.phrases(choices)
    into = check.params.get("into")  # the key kept in a variable, as collect keeps digits
    if "into" in check.params and not (isinstance(into, str) and NAME.fullmatch(into)):
        check.errors.add(check.params, f"{check.where}: into is a variable name (letters, "
                         f"digits and _, not starting with a digit), not {into!r}", "into")


def check_language(check: StepCheck) -> None:
    """A fixed language, or a menu whose choices are languages of the flow."""
    languages = check.languages
    if not languages:
        check.errors.add(check.node, f"{check.where} needs the flow's 'languages' (e.g. "
                         "languages: [en, es])", check.action)
        return
    if isinstance(check.params, str):
        if check.params not in languages:
            check.errors.add(check.node, f"{check.where}: {check.params!r} is not one of the "
                             f"flow's languages ({', '.join(languages)})", check.action)
        return
    choices = check_choices(check, "languages")
    for key, language in (choices or {}).items():
        if language not in languages:
            check.errors.add(choices, f"{check.where}: choice {key!r}: {language!r} is not "
                             f"one of the flow's languages ({', '.join(languages)})", key)


def choose(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    """Ask until the caller picks a choice by key or by saying one of its phrases: its
    target, or None when the retries run out. The key is kept as `<step>_choice`."""
    params = step.params
    choices = {str(k): str(v["goto"] if isinstance(v, Mapping) else v)
               for k, v in params["choices"].items()}
    phrases = {str(k): v.get("say", []) for k, v in params["choices"].items()
               if isinstance(v, Mapping)}
    grammar = tuple(str(p) for said in phrases.values() for p in said)
    for _ in range(params.get("retries", 2) + 1):
        answer = yield call.question(params["prompt"], params.get("timeout", 5), 1, grammar)
        heard = call.heard(step, answer)
        key = answer if heard is None else call.spoken_key(heard, phrases)
        if key in choices:
            call.vars[f"{step.id}_choice"] = str(key)
            if heard is not None:
                call.vars[f"{step.id}_intent"] = choices[str(key)]
            return choices[str(key)]
        apology = params.get("no_input" if not answer else "invalid")
        if apology:
            yield call.tell(apology)
    return None


def run_menu(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    chosen = yield from choose(call, step)
    if chosen is None:
        return step.on_exhausted
    if "into" in step.params:  # the key, kept as an answer like collect's digits
        into = step.params["into"]
        call.vars[into] = call.collected[into] = call.vars[f"{step.id}_choice"]
    return chosen


def run_language(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    """The language of the rest of the call: its texts, the TTS voice, and Asterisk's
    CHANNEL(language) for sound files. Retries run out: the call goes on as it was."""
    chosen = step.params if isinstance(step.params, str) else (yield from choose(call, step))
    if chosen is None:
        return step.on_exhausted or step.next
    call.language = call.vars["language"] = chosen
    yield SetVariable("CHANNEL(language)", chosen)
    yield SetVariable(LANGUAGE_VARIABLE, chosen)
    return step.next


def menu_targets(params: Any) -> list[object]:
    choices = params.get("choices") if isinstance(params, dict) else None
    if not isinstance(choices, dict):
        return []
    return [c.get("goto") if isinstance(c, dict) else c for c in choices.values()]


def keys_to(target: dict[str, object]) -> dict[str, object]:
    """The `choices` field: one key 0-9, * or # each, leading to `target`."""
    return {"type": "object", "minProperties": 1,
            "propertyNames": {"pattern": f"^{KEY.pattern}$"}, "additionalProperties": target}


PROMPTS = {"prompt": TEXT, "invalid": TEXT, "no_input": TEXT}
MENU = StepType(
    "menu", check_menu, run_menu, routes=("on_exhausted",), required=("prompt", "choices"),
    fields={
        **PROMPTS,
        "choices": keys_to({"anyOf": [STEP_NAME, {
            "type": "object", "required": ["goto"], "additionalProperties": False,
            "properties": {
                "goto": STEP_NAME,
                "say": {"type": "array", "items": {"type": "string", "minLength": 1},
                        "description": "Phrases and synonyms the caller may say instead of "
                        "pressing the key."}}}]}),
        "timeout": {**COUNT, "description": "Seconds to wait for a key."},
        "retries": {**COUNT, "description": "Extra attempts after a bad or missing key."},
        "into": {"type": "string", "pattern": f"^{NAME.pattern}$",
                 "description": "The variable that keeps the chosen key, counted as a "
                 "collected answer (e.g. survey_score)."}},
    targets=menu_targets, asks_caller=always)
LANGUAGE_STEP = StepType(
    "language", check_language, run_language, "A fixed language, or a menu of languages.",
    value=LANGUAGE, routes=("next",), required=("prompt", "choices"),
    fields={**PROMPTS, "choices": keys_to(LANGUAGE), "timeout": COUNT, "retries": COUNT},
    asks_caller=lambda params: isinstance(params, dict))
