"""What each step type's parameters may be: the fields it knows and one check per action,
each adding `file:line:column` errors for what an admin got wrong."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from contactcenter.ivr.hours import check_hours
from contactcenter.ivr.yamlsource import Errors
from contactcenter.speech.phrases import words

FIELDS: dict[str, set[str]] = {
    "menu": {"prompt", "choices", "timeout", "retries", "invalid", "no_input", "into"},
    "ask": {"prompt", "intents", "confirm", "yes", "no", "timeout", "retries", "no_match",
            "no_input"},
    "collect": {"prompt", "into", "min", "max", "terminator", "timeout", "retries", "pattern",
                "luhn", "invalid", "confirm"},
    "queue": {"name", "priority", "skills", "fields"},
    "branch": {"cases", "otherwise"},
    "hours": {"timezone", "open", "holidays", "closed"},
    "lookup": {"by", "value", "into", "found", "not_found"},
    "language": {"prompt", "choices", "timeout", "retries", "invalid", "no_input"},
    "voicemail": {"box", "context", "prompt"},
    "callback": {"queue", "number", "priority", "skills", "fields", "confirm"},
    "goto": {"flow", "step"},
}
COUNTS = ("timeout", "retries", "min", "max", "priority")
LOOKUP_BY = ("phone", "account")
CONDITION = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+(==|!=|matches|is)\s+(.*?)\s*")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAILBOX = re.compile(r"([A-Za-z0-9_.-]|\$\{[A-Za-z_][A-Za-z0-9_]*\})+")  # no @ or ,
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class StepCheck:
    """Checks one step's action value (`params`) inside its step mapping (`node`)."""

    step_id: str
    action: str
    params: Any
    node: CommentedMap
    errors: Errors
    known_queues: Collection[str] | None
    languages: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"step {self.step_id!r}: {self.action}"

    def run(self) -> None:
        check = getattr(self, f"_{self.action}", None)
        if check is not None:  # play, transfer: a sound name or dial string
            check()
        elif not isinstance(self.params, str) or not self.params.strip():
            self.errors.add(self.node, f"{self.where} needs a non-empty text", self.action)

    def _mapping(self) -> bool:
        """Whether the action's value is a mapping of known fields (errors added if not)."""
        params = self.params
        if not isinstance(params, CommentedMap):
            self.errors.add(self.node, f"{self.where} needs a mapping", self.action)
            return False
        for key in params:
            if key not in FIELDS[self.action]:
                self.errors.add(params, f"{self.where}: unknown field {key!r}", key)
        for key in COUNTS:
            if key in params and (not isinstance(params[key], int) or params[key] < 0):
                self.errors.add(params, f"{self.where}: {key} must be a whole number >= 0", key)
        return True

    def _text(self, key: str, *, required: bool = False) -> None:
        """A prompt field of the action's mapping: a text, or one text per language."""
        params = self.params
        if key not in params:
            if required:
                self.errors.add(params, f"{self.where} needs a {key!r} text", None)
            return
        self._spoken(params, key, f"{self.where}: {key}")

    def _spoken(self, node: CommentedMap, key: str, what: str) -> None:
        """A non-empty text, or a mapping with a non-empty text for each of the flow's
        languages (so that no caller meets silence in the language they chose)."""
        text = node[key]
        if not isinstance(text, CommentedMap):
            if not isinstance(text, str) or not text.strip():
                self.errors.add(node, f"{what} needs a non-empty text", key)
            return
        if not self.languages:
            self.errors.add(node, f"{what}: texts per language need the flow's 'languages'",
                            key)
            return
        for language, value in text.items():
            if language not in self.languages:
                self.errors.add(text, f"{what}: {language!r} is not one of the flow's "
                                f"languages ({', '.join(self.languages)})", language)
            elif not isinstance(value, str) or not value.strip():
                self.errors.add(text, f"{what} needs a non-empty {language} text", language)
        for language in self.languages:
            if language not in text:
                self.errors.add(node, f"{what} has no {language} text", key)

    def _step_name(self, key: str, meaning: str) -> None:
        if not isinstance(self.params.get(key), str):
            self.errors.add(self.params, f"{self.where} needs {key!r}: {meaning}",
                            key if key in self.params else None)

    def _say(self) -> None:
        self._spoken(self.node, self.action, self.where)

    def _hangup(self) -> None:
        if self.params in (None, True):
            return
        if not isinstance(self.params, str | CommentedMap):
            self.errors.add(self.node, f"{self.where} takes an optional goodbye text",
                            self.action)
        else:
            self._spoken(self.node, self.action, self.where)

    def _goto(self) -> None:
        """`goto: step` in this flow, or `goto: {flow: name, step: name}` to another flow
        (step: default its start); flow.py checks that both exist."""
        if not isinstance(self.params, str | CommentedMap) or not str(self.params).strip():
            self.errors.add(self.node, f"{self.where} needs a step name, or {{flow: name, "
                            "step: name}", self.action)
        elif isinstance(self.params, CommentedMap) and self._mapping():
            self._step_name("flow", "the flow to go to")
            if "step" in self.params and not isinstance(self.params["step"], str):
                self.errors.add(self.params, f"{self.where}: step is a step name of that "
                                "flow", "step")

    def _set(self) -> None:
        if not isinstance(self.params, CommentedMap) or not self.params:
            self.errors.add(self.node, f"{self.where} needs a mapping of variable names to "
                            "values", self.action)

    def _menu(self) -> CommentedMap | None:
        """Prompts and choices (one key each); the choices, when readable."""
        if not self._mapping():
            return None
        self._text("prompt", required=True)
        self._text("invalid")
        self._text("no_input")
        choices = self.params.get("choices")
        if not isinstance(choices, CommentedMap) or not choices:
            self.errors.add(self.params, f"{self.where} needs 'choices': keys to "
                            f"{'languages' if self.action == 'language' else 'step names'}",
                            "choices" if "choices" in self.params else None)
            return None
        for key in choices:
            if not re.fullmatch(r"[0-9*#]", str(key)):
                self.errors.add(choices, f"{self.where}: choice {key!r} is not one key 0-9, * "
                                "or #", key)
        if self.action == "menu":
            self._phrases(choices)
            self._into()
        return choices

    def _into(self) -> None:
        """A menu may keep the chosen key in a variable, as collect keeps its digits."""
        into = self.params.get("into")
        if "into" in self.params and not (isinstance(into, str) and NAME.fullmatch(into)):
            self.errors.add(self.params, f"{self.where}: into is a variable name (letters, "
                            f"digits and _, not starting with a digit), not {into!r}", "into")

    def _phrases(self, choices: CommentedMap, what: str = "choice",
                 fields: tuple[str, ...] = ("goto", "say")) -> None:
        """A choice (or an intent) is a step name, or {goto: step, say: [phrases and
        synonyms]} (an intent may also have keywords and a label); a phrase may belong to
        one choice only, or the caller saying it would choose nothing."""
        owner: dict[tuple[str, ...], str] = {}
        for key, choice in choices.items():
            if not isinstance(choice, CommentedMap):
                continue
            for field in choice:
                if field not in fields:
                    self.errors.add(choice, f"{self.where}: {what} {key!r}: unknown field "
                                    f"{field!r} ({', '.join(fields)})", field)
            if not isinstance(choice.get("goto"), str):
                self.errors.add(choices, f"{self.where}: {what} {key!r} needs 'goto': a step",
                                key)
            for i, phrase in enumerate(self._phrase_list(choice, "say", f"{what} {key!r}")):
                other = owner.setdefault(words(phrase), str(key))
                if other != str(key):
                    self.errors.add(choice["say"], f"{self.where}: phrase {phrase!r} is in "
                                    f"{what}s {other!r} and {key!r}", i)

    def _phrase_list(self, node: CommentedMap, key: str, what: str) -> list[str]:
        """node[key]: a list of phrases with words in them (errors added if not)."""
        if key not in node:
            return []
        phrases = node[key]
        if not isinstance(phrases, CommentedSeq) or not all(
                isinstance(p, str) and words(p) for p in phrases):
            self.errors.add(node, f"{self.where}: {what}: {key} is a list of phrases, e.g. "
                            "[billing, invoice, bill]", key)
            return []
        return list(phrases)

    def _ask(self) -> None:
        """An open question: intents, each {goto, say: [phrases], keywords: [words],
        label: text for the confirmation}, with something to recognise it by."""
        if not self._mapping():
            return
        params = self.params
        self._text("prompt", required=True)
        for key in ("confirm", "no_match", "no_input"):
            self._text(key)
        for key in ("yes", "no"):
            self._phrase_list(params, key, "confirmation answers")
        intents = params.get("intents")
        if not isinstance(intents, CommentedMap) or not intents:
            self.errors.add(params, f"{self.where} needs 'intents': names to {{goto, say, "
                            "keywords}", "intents" if "intents" in params else None)
            return
        for name, intent in intents.items():
            if not isinstance(intent, CommentedMap):
                self.errors.add(intents, f"{self.where}: intent {name!r} is a mapping "
                                "{goto, say, keywords, label}", name)
                continue
            keywords = self._phrase_list(intent, "keywords", f"intent {name!r}")
            if not intent.get("say") and not keywords:
                self.errors.add(intents, f"{self.where}: intent {name!r} needs phrases "
                                "(say) or keywords to be recognised by", name)
            if "label" in intent:
                self._spoken(intent, "label", f"{self.where}: intent {name!r}: label")
        self._phrases(intents, "intent", ("goto", "say", "keywords", "label"))

    def _language(self) -> None:
        """A fixed language, or a menu whose choices are languages of the flow."""
        if not self.languages:
            self.errors.add(self.node, f"{self.where} needs the flow's 'languages' (e.g. "
                            "languages: [en, es])", self.action)
            return
        if isinstance(self.params, str):
            if self.params not in self.languages:
                self.errors.add(self.node, f"{self.where}: {self.params!r} is not one of the "
                                f"flow's languages ({', '.join(self.languages)})", self.action)
            return
        choices = self._menu()
        for key, language in (choices or {}).items():
            if language not in self.languages:
                self.errors.add(choices, f"{self.where}: choice {key!r}: {language!r} is not "
                                f"one of the flow's languages ({', '.join(self.languages)})",
                                key)

    def _collect(self) -> None:
        if not self._mapping():
            return
        params = self.params
        self._text("prompt", required=True)
        self._text("invalid")
        self._text("confirm")
        if not isinstance(params.get("into"), str):
            self.errors.add(params, f"{self.where} needs 'into': the variable to store the "
                            "digits", None)
        if "pattern" in params:
            try:
                re.compile(str(params["pattern"]))
            except re.error as exc:
                self.errors.add(params, f"{self.where}: bad pattern: {exc}", "pattern")
        if params.get("min", 1) > params.get("max", 20):
            self.errors.add(params, f"{self.where}: min is larger than max", "min")

    def _queue(self, key: str = "name") -> None:
        """The queue (its `key` names one of queues.yaml) and what the ACD gets with it."""
        if not self._mapping():
            return
        params, known = self.params, self.known_queues
        queue = params.get(key)
        if not isinstance(queue, str):
            self.errors.add(params, f"{self.where} needs a queue {key!r}", None)
        elif known is not None and queue not in known:
            self.errors.add(params, f"{self.where}: unknown queue {queue!r} (known: "
                            f"{', '.join(sorted(known))})", key)
        if "skills" in params and not isinstance(params["skills"], CommentedMap):
            self.errors.add(params, f"{self.where}: skills is a mapping of skill to minimum "
                            "level", "skills")
        if "fields" in params and not isinstance(params["fields"], CommentedSeq):
            self.errors.add(params, f"{self.where}: fields is a list of variable names",
                            "fields")

    def _branch(self) -> None:
        if not self._mapping():
            return
        cases = self.params.get("cases", [])
        if not isinstance(cases, CommentedSeq):
            self.errors.add(self.params, f"{self.where}: cases is a list of {{if, goto}}",
                            "cases")
            cases = []
        for i, case in enumerate(cases):
            if not (isinstance(case, CommentedMap) and isinstance(case.get("if"), str)
                    and isinstance(case.get("goto"), str)):
                self.errors.add(cases, f"{self.where}: case {i + 1} needs 'if' and 'goto'", i)
            elif not CONDITION.fullmatch(case["if"]):
                self.errors.add(case, f"{self.where}: cannot read condition {case['if']!r} "
                                "(write: name == value, name != value, name matches regex, "
                                "name is empty, name is set)", "if")
        self._step_name("otherwise", "the step when no case holds")

    def _hours(self) -> None:
        if not self._mapping():
            return
        check_hours(self.params, self.errors, self.where)
        self._step_name("closed", "the step when closed")

    def _lookup(self) -> None:
        if not self._mapping():
            return
        params = self.params
        by = params.get("by", "phone")
        if by not in LOOKUP_BY:
            self.errors.add(params, f"{self.where}: by is phone or account, not {by!r}", "by")
        if by == "account" and "value" not in params:
            self.errors.add(params, f"{self.where} by account needs 'value': the account "
                            "number, e.g. ${account}", "by")
        if "value" in params and not isinstance(params["value"], str):
            self.errors.add(params, f"{self.where}: value is a text such as ${{account}}",
                            "value")
        if "into" in params and not NAME.fullmatch(str(params["into"])):
            self.errors.add(params, f"{self.where}: into is a variable name prefix such as "
                            "customer", "into")
        self._step_name("found", "the step when the customer is found")
        self._step_name("not_found", "the step when the customer is not found")

    def _voicemail(self) -> None:
        """`voicemail: support`, or a mapping with the box, its context and a prompt."""
        if isinstance(self.params, str):
            box: Any = self.params
        elif self._mapping():
            box = self.params.get("box")
            self._text("prompt")
            if not NAME.fullmatch(str(self.params.get("context", "contactcenter"))):
                self.errors.add(self.params, f"{self.where}: context is a voicemail.conf "
                                "context name", "context")
        else:
            return
        if not isinstance(box, str) or not MAILBOX.fullmatch(box):
            where, key = ((self.node, self.action) if isinstance(self.params, str)
                          else (self.params, "box" if "box" in self.params else None))
            self.errors.add(where, f"{self.where} needs a mailbox 'box' (letters, digits, "
                            "${variables}; no @ or comma)", key)

    def _callback(self) -> None:
        self._queue("queue")
        if isinstance(self.params, CommentedMap):
            self._text("confirm")
            if not isinstance(self.params.get("number", ""), str):
                self.errors.add(self.params, f"{self.where}: number is a text such as "
                                "${callback_number}", "number")
