"""The ask step and spoken menus in the pure interpreter: what the caller said becomes an
intent (sure, confirmed, or asked again), a key or no recogniser sends the call to the key
menu, and every spoken answer is kept in the flow variables."""

from __future__ import annotations

from contactcenter.ivr.interpreter import Ask, Play
from contactcenter.speech.recognizer import Recognition
from tests.ivr.walking import walk

FLOW = """
name: t
steps:
  help:
    ask:
      prompt: How can I help?
      intents:
        billing: {goto: billing, say: [pay my bill], keywords: [bill], label: your bill}
        support: {goto: support, say: [not working], keywords: [internet]}
      no_match: Sorry?
      no_input: Hello?
      retries: 1
    on_exhausted: keys
  keys:
    menu:
      prompt: Press 1 for billing, 2 for support.
      choices:
        "1": {goto: billing, say: [billing]}
        "2": {goto: support, say: [support]}
    on_exhausted: support
  billing: {queue: {name: billing}}
  support: {queue: {name: support}}
"""


def test_a_clear_request_goes_to_its_intent_and_is_kept() -> None:
    run, actions = walk(FLOW, [Recognition("I want to pay my bill", 0.9)])
    assert run.path == ["help", "billing"]
    assert actions[0] == Ask("How can I help?", 5000, 1,
                             phrases=("pay my bill", "bill", "not working", "internet"),
                             free=True)
    assert (run.vars["help_transcript"], run.vars["help_confidence"],
            run.vars["help_intent"], run.vars["said"]) == (
        "I want to pay my bill", "0.90", "billing", "I want to pay my bill")
    assert "said=I+want+to+pay+my+bill" in actions[-1].variables["CC_FIELDS"]


def test_low_confidence_is_confirmed_with_the_label_and_yes_takes_it() -> None:
    run, actions = walk(FLOW, [Recognition("pay my bill", 0.2), Recognition("yes", 0.9)])
    confirm = actions[1]
    assert isinstance(confirm, Ask) and confirm.text == (
        "You want your bill, is that right? Say yes or no.")
    assert "yes" in confirm.phrases and "no" in confirm.phrases and not confirm.free
    assert run.path == ["help", "billing"] and run.vars["said"] == "yes"


def test_no_or_silence_to_the_confirmation_asks_again() -> None:
    run, actions = walk(FLOW, [Recognition("pay my bill", 0.2), "2",
                               Recognition("my internet is not working", 0.8)])
    assert Play("Sorry?") in actions and run.path == ["help", "support"]


def test_no_match_and_silence_use_the_retries_then_the_key_menu() -> None:
    run, actions = walk(FLOW, [Recognition("the weather", 0.9), None, "2"])
    assert [a.text for a in actions if isinstance(a, Play)] == ["Sorry?", "Hello?"]
    assert run.path == ["help", "keys", "support"]


def test_a_key_or_no_recogniser_goes_to_the_key_menu_at_once() -> None:
    run, _ = walk(FLOW, ["1", "1"])
    assert run.path == ["help", "keys", "billing"] and "help_transcript" not in run.vars
    run, actions = walk(FLOW, [False, "2"])
    assert run.path == ["help", "keys", "support"] and not any(
        isinstance(a, Play) for a in actions)


def test_a_spoken_menu_choice_keeps_its_transcript_and_intent() -> None:
    run, actions = walk(FLOW, ["0", Recognition("support please", 0.7)])
    assert actions[1].phrases == ("billing", "support") and not actions[1].free
    assert (run.vars["keys_choice"], run.vars["keys_intent"],
            run.vars["keys_transcript"]) == ("2", "support", "support please")


def test_a_menu_takes_an_alternative_but_not_a_doubtful_hearing() -> None:
    heard = Recognition("bowling", 0.6, (("bowling", 0.6), ("billing", 0.4)))
    run, _ = walk(FLOW, ["0", heard])
    assert run.path == ["help", "keys", "billing"]
    run, actions = walk(FLOW, ["0", Recognition("billing", 0.3), "2"])
    assert run.path == ["help", "keys", "support"]  # 0.3 < 0.5: asked again
