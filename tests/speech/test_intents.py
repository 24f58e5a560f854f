"""Scoring what a caller said against intents: phrases, keywords, ties, doubt."""

from __future__ import annotations

from contactcenter.speech.intents import Intent, match_intent, scores, vocabulary
from contactcenter.speech.recognizer import Recognition

INTENTS = {
    "billing": Intent(("pay my bill", "invoice"), ("bill", "pay")),
    "support": Intent(("not working",), ("internet", "modem")),
    "sales": Intent(("buy a new phone",), ("buy", "phone")),
}


def test_phrases_weigh_two_points_a_word_and_keywords_one_each() -> None:
    assert scores("I want to pay my bill", INTENTS) == {"billing": 8, "support": 0, "sales": 0}
    assert scores("my internet is not working", INTENTS)["support"] == 5
    assert scores("the weather", INTENTS) == {"billing": 0, "support": 0, "sales": 0}


def test_a_clear_winner_heard_with_confidence_is_sure() -> None:
    match = match_intent(Recognition("my internet is not working", 0.9), INTENTS)
    assert (match.intent, match.sure) == ("support", True)


def test_low_confidence_a_tie_or_an_alternative_must_be_confirmed() -> None:
    assert not match_intent(Recognition("pay my bill", 0.3), INTENTS).sure
    tie = match_intent(Recognition("pay for a phone", 0.9), INTENTS)
    assert (tie.intent, tie.sure) == ("billing", False)  # the first listed of the tied
    heard = Recognition("the weather", 0.9, (("the weather", 0.6), ("my modem", 0.4)))
    assert (match_intent(heard, INTENTS).intent, match_intent(heard, INTENTS).sure) == (
        "support", False)


def test_nothing_recognisable_is_no_match() -> None:
    assert match_intent(Recognition("the weather", 1.0), INTENTS) is None
    assert match_intent(Recognition("", 0.0), INTENTS) is None


def test_the_vocabulary_is_every_phrase_and_keyword_once() -> None:
    assert vocabulary(INTENTS.values()) == ("pay my bill", "invoice", "bill", "pay",
                                            "not working", "internet", "modem",
                                            "buy a new phone", "buy", "phone")
