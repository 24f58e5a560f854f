"""Which menu choice a caller said: recognised text against each choice's phrases and
synonyms. Pure: the IVR interpreter and `flows simulate --input billing` both use it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping


def words(text: str) -> tuple[str, ...]:
    """Lower case, accents and punctuation dropped: "Facturación, please!" ->
    ('facturacion', 'please'), so a recogniser's spelling does not decide the match.
    Letters of every script stay ("요금 납부" -> ('요금', '납부')): accents are removed as
    combining marks and the rest recomposed, which keeps Hangul syllables whole."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    return tuple(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFC", bare).casefold()).split())


def contains(said: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """Whether `wanted` appears in `said` as whole words in a row."""
    return bool(wanted) and any(said[i:i + len(wanted)] == wanted
                                for i in range(len(said) - len(wanted) + 1))


def match_phrase(utterance: str, choices: Mapping[str, Iterable[str]]) -> str | None:
    """The choice one of whose phrases the caller said (its words in a row anywhere in the
    utterance). The longest phrase wins ("sales support" over "support"); when two choices
    tie, or nothing matches, None: the menu says its 'invalid' text and asks again."""
    said = words(utterance)
    best: dict[str, int] = {}
    for choice, phrases in choices.items():
        for phrase in phrases:
            wanted = words(phrase)
            if contains(said, wanted):
                best[choice] = max(best.get(choice, 0), len(wanted))
    if not best:
        return None
    longest = max(best.values())
    winners = [choice for choice, size in best.items() if size == longest]
    return winners[0] if len(winners) == 1 else None
