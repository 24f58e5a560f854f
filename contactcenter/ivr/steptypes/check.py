"""One step's action value under check, and the checks that several step types share; each
adds a `file:line:column` error for what an admin got wrong, and goes on to find the rest."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from contactcenter.ivr.yamlsource import Errors
from contactcenter.speech.phrases import words

if TYPE_CHECKING:
    from contactcenter.ivr.steptypes.steptype import StepType

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a variable name
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class CheckContext:
    """What the checks of one flow's steps share. known_queues and known_flows (flow name ->
    its step names) come from the flow's directory; None: not checked. counts: the fields
    that are whole numbers in any step type, checked wherever they appear."""

    errors: Errors
    flow: str
    languages: tuple[str, ...]
    known_queues: Collection[str] | None
    known_flows: Mapping[str, Collection[str]] | None
    counts: Collection[str]


@dataclass(frozen=True)
class StepCheck:
    """Checks one step's action value (`params`) inside its step mapping (`node`)."""

    step_id: str
    type: StepType
    params: Any
    node: CommentedMap
    context: CheckContext

    @property
    def action(self) -> str:
        return self.type.name

    @property
    def where(self) -> str:
        return f"step {self.step_id!r}: {self.action}"

    @property
    def errors(self) -> Errors:
        return self.context.errors

    @property
    def languages(self) -> tuple[str, ...]:
        return self.context.languages

    def run(self) -> None:
        self.type.check(self)

    def plain_text(self) -> None:
        """The value is one non-empty text (a sound name, a dial string)."""
        if not isinstance(self.params, str) or not self.params.strip():
            self.errors.add(self.node, f"{self.where} needs a non-empty text", self.action)

    def mapping(self) -> bool:
        """Whether the action's value is a mapping of known fields (errors added if not)."""
        params = self.params
        if not isinstance(params, CommentedMap):
            self.errors.add(self.node, f"{self.where} needs a mapping", self.action)
            return False
        for key in params:
            if key not in self.type.fields:
                self.errors.add(params, f"{self.where}: unknown field {key!r}", key)
        for key in self.context.counts:
            if key in params and (not isinstance(params[key], int) or params[key] < 0):
                self.errors.add(params, f"{self.where}: {key} must be a whole number >= 0", key)
        return True

    def text(self, key: str, *, required: bool = False) -> None:
        """A prompt field of the action's mapping: a text, or one text per language."""
        params = self.params
        if key not in params:
            if required:
                self.errors.add(params, f"{self.where} needs a {key!r} text", None)
            return
        self.spoken(params, key, f"{self.where}: {key}")

    def spoken(self, node: CommentedMap, key: str, what: str) -> None:
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

    def step_name(self, key: str, meaning: str) -> None:
        if not isinstance(self.params.get(key), str):
            self.errors.add(self.params, f"{self.where} needs {key!r}: {meaning}",
                            key if key in self.params else None)

    def phrases(self, choices: CommentedMap, what: str = "choice",
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
            for i, phrase in enumerate(self.phrase_list(choice, "say", f"{what} {key!r}")):
                other = owner.setdefault(words(phrase), str(key))
                if other != str(key):
                    self.errors.add(choice["say"], f"{self.where}: phrase {phrase!r} is in "
                                    f"{what}s {other!r} and {key!r}", i)

    def phrase_list(self, node: CommentedMap, key: str, what: str) -> list[str]:
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
