"""Which intent an open answer means ("my internet is not working" -> support): each intent
has phrases (its words in a row, worth 2 points a word) and keywords (1 point each, once),
and the highest score wins. Pure: the IVR's ask step and its dry runs both use it.

A winner is `sure` only when it is alone at the top of the best transcript and the engine's
confidence reaches the threshold; otherwise the IVR asks the caller to confirm it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from contactcenter.speech.phrases import contains, words
from contactcenter.speech.recognizer import Recognition


@dataclass(frozen=True)
class Intent:
    phrases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntentMatch:
    intent: str
    score: int
    sure: bool  # False: confirm before acting (a tie, low confidence, or an alternative)


def scores(text: str, intents: Mapping[str, Intent]) -> dict[str, int]:
    """Each intent's score for one transcript (0: nothing of it was said)."""
    said = words(text)
    found = {}
    for name, intent in intents.items():
        longest = max((len(words(p)) for p in intent.phrases if contains(said, words(p))),
                      default=0)
        keywords = {k for k in map(words, intent.keywords) if contains(said, k)}
        found[name] = 2 * longest + len(keywords)
    return found


def match_intent(heard: Recognition, intents: Mapping[str, Intent], *,
                 min_confidence: float = 0.5) -> IntentMatch | None:
    """The best intent of the first transcript (best, then the n-best alternatives) that
    scores at all; None when none does."""
    for rank, text in enumerate(heard.texts):
        found = scores(text, intents)
        top = max(found.values(), default=0)
        if top == 0:
            continue
        winners = [name for name, score in found.items() if score == top]
        sure = len(winners) == 1 and rank == 0 and heard.confidence >= min_confidence
        return IntentMatch(winners[0], top, sure)
    return None


def vocabulary(intents: Iterable[Intent]) -> tuple[str, ...]:
    """The phrases and keywords of the intents: the hints an engine may bias towards."""
    return tuple(dict.fromkeys(p for i in intents for p in (*i.phrases, *i.keywords)))
