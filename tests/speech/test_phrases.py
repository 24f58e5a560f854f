"""Matching what a caller said to a menu's phrases and synonyms."""

from __future__ import annotations

import pytest

from contactcenter.speech.phrases import match_phrase, words

CHOICES = {"1": ["billing", "invoice", "bill", "pay my bill"], "2": ["support", "broken"],
           "3": ["sales", "sales support", "buy"], "9": ["facturación"]}


@pytest.mark.parametrize(("said", "choice"), [
    ("billing", "1"),
    ("I have a question about my INVOICE.", "1"),    # case, punctuation, words around it
    ("I want to pay my bill", "1"),
    ("my modem is broken", "2"),
    ("sales support please", "3"),                    # the longer phrase beats "support"
    ("Facturacion", "9"), ("facturación", "9"),       # accents do not decide
    ("billing or support", None),                     # two choices tie: ask again
    ("biller", None),                                 # whole words only
    ("", None), ("hello", None),
])
def test_the_choice_the_caller_said(said: str, choice: str | None) -> None:
    assert match_phrase(said, CHOICES) == choice


def test_words_are_plain_lower_case() -> None:
    assert words("  Ça  va, Señor!  ") == ("ca", "va", "senor")
