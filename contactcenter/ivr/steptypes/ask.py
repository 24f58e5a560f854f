"""The ask step: an open question ('How can I help you?') whose answer, in the caller's own
words, is scored against intents (speech/intents.py); a doubtful match is confirmed."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ruamel.yaml.comments import CommentedMap

from contactcenter.ivr.interpreter import KEYS, Action, FlowRun
from contactcenter.ivr.model import Step
from contactcenter.ivr.steptypes.check import StepCheck
from contactcenter.ivr.steptypes.steptype import COUNT, PHRASES, STEP_NAME, TEXT, StepType, always
from contactcenter.speech.intents import Intent, match_intent, vocabulary

YES = ("yes", "yeah", "yep", "correct", "right", "that is right", "sure")
NO = ("no", "nope", "wrong", "not right", "that is wrong")
CONFIRM = "You want ${intent}, is that right? Say yes or no."


def check_ask(check: StepCheck) -> None:
    """Intents, each {goto, say: [phrases], keywords: [words], label: text for the
    confirmation}, with something to recognise it by."""
    if not check.mapping():
        return
    params, where = check.params, check.where
    check.text("prompt", required=True)
    for key in ("confirm", "no_match", "no_input"):
        check.text(key)
    for key in ("yes", "no"):
        check.phrase_list(params, key, "confirmation answers")
    intents = params.get("intents")
    if not isinstance(intents, CommentedMap) or not intents:
        check.errors.add(params, f"{where} needs 'intents': names to {{goto, say, "
                         "keywords}", "intents" if "intents" in params else None)
        return
    for name, intent in intents.items():
        if not isinstance(intent, CommentedMap):
            check.errors.add(intents, f"{where}: intent {name!r} is a mapping "
                             "{goto, say, keywords, label}", name)
            continue
        keywords = check.phrase_list(intent, "keywords", f"intent {name!r}")
        if not intent.get("say") and not keywords:
            check.errors.add(intents, f"{where}: intent {name!r} needs phrases "
                             "(say) or keywords to be recognised by", name)
        if "label" in intent:
            check.spoken(intent, "label", f"{where}: intent {name!r}: label")
    check.phrases(intents, "intent", ("goto", "say", "keywords", "label"))


def run_ask(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    """Silence and no match ask again (the retries); a key, or no recogniser free, goes to
    on_exhausted (the key menu) at once, as do the retries running out."""
    params = step.params
    intents = {str(name): Intent(tuple(map(str, spec.get("say", []))),
                                 tuple(map(str, spec.get("keywords", []))))
               for name, spec in params["intents"].items()}
    timeout = params.get("timeout", 5)
    for _ in range(params.get("retries", 2) + 1):
        answer = yield call.question(params["prompt"], timeout, 1,
                                     vocabulary(intents.values()), free=True)
        if answer is False or (isinstance(answer, str) and KEYS.fullmatch(answer)):
            break
        heard = call.heard(step, answer)
        match = heard and match_intent(heard, intents, min_confidence=call.min_confidence)
        if match and (match.sure or (yield from confirmed(call, step, match.intent))):
            call.vars[f"{step.id}_intent"] = match.intent
            return str(params["intents"][match.intent]["goto"])
        apology = params.get("no_input" if heard is None else "no_match")
        if apology:
            yield call.tell(apology)
    return step.on_exhausted


def confirmed(call: FlowRun, step: Step, intent: str) -> Generator[Action, object, bool]:
    """'You want billing, is that right?': yes (or key 1) confirms, anything else not.
    ${intent} in the text is the intent's label (default: its name)."""
    params = step.params
    spec = params["intents"][intent]
    call.vars["intent"] = call.text(spec.get("label", intent.replace("_", " ")))
    answers = {"1": list(params.get("yes", YES)), "2": list(params.get("no", NO))}
    answer = yield call.question(params.get("confirm", CONFIRM), params.get("timeout", 5), 1,
                                 tuple(p for said in answers.values() for p in said))
    heard = call.heard(step, answer)
    return (answer if heard is None else call.spoken_key(heard, answers)) == "1"


def intent_targets(params: Any) -> list[object]:
    intents = params.get("intents") if isinstance(params, dict) else None
    if not isinstance(intents, dict):
        return []
    return [i.get("goto") for i in intents.values() if isinstance(i, dict)]


ASK = StepType(
    "ask", check_ask, run_ask, "An open question: what the caller says is scored against "
    "the intents; doubtful matches are confirmed; a key, or speech unavailable, goes to "
    "on_exhausted (the key menu).",
    routes=("on_exhausted",), required=("prompt", "intents"),
    fields={
        "prompt": TEXT,
        "intents": {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "object", "required": ["goto"], "additionalProperties": False,
            "properties": {
                "goto": STEP_NAME,
                "say": {**PHRASES, "description": "Phrases: their words in a row, 2 points "
                        "a word."},
                "keywords": {**PHRASES, "description": "Words worth 1 point each."},
                "label": {**TEXT, "description": "How the confirmation names it "
                          "(${intent}); default the intent's name."}}}},
        "confirm": {**TEXT, "description": "Asked when the match is doubtful; ${intent} is its "
                    f"label. Default: {CONFIRM}"},
        "yes": {**PHRASES, "description": "Answers that confirm (key 1 too)."},
        "no": {**PHRASES, "description": "Answers that do not (key 2 too)."},
        "timeout": {**COUNT, "description": "Seconds of silence after the prompt before "
                    "no_input."},
        "retries": COUNT,
        "no_match": TEXT,
        "no_input": TEXT},
    targets=intent_targets, asks_caller=always)
