"""Menus answered by spoken phrases (with synonyms), and collect with read-back/confirm."""

from __future__ import annotations

from contactcenter.ivr.interpreter import Ask, Play
from tests.ivr.walking import walk

MENU = """
name: t
steps:
  menu:
    menu:
      prompt: Say billing or support, or press 1 or 2.
      choices:
        "1": {goto: billing, say: [billing, invoice, bill]}
        "2": support
      retries: 1
      invalid: Sorry, I did not get that.
    on_exhausted: support
  billing: {hangup: Billing.}
  support: {hangup: Support.}
"""


def test_a_spoken_synonym_chooses_like_its_key() -> None:
    run, actions = walk(MENU, ["a question about my invoice"])
    assert run.path == ["menu", "billing"] and run.vars["menu_choice"] == "1"
    run, _ = walk(MENU, ["1"])
    assert run.path == ["menu", "billing"]


def test_unmatched_speech_is_invalid_and_a_key_still_works() -> None:
    run, actions = walk(MENU, ["the weather", "2"])
    assert actions[1] == Play("Sorry, I did not get that.")
    assert run.path == ["menu", "support"]


COLLECT = """
name: t
steps:
  account:
    collect:
      prompt: Your account number?
      into: account
      min: 4
      max: 6
      retries: 1
      confirm: You entered ${entered}. Press 1 if correct, 2 to enter it again.
    next: done
    on_exhausted: failed
  done: {hangup: "Thanks, ${account}."}
  failed: {hangup: Sorry.}
"""


def test_read_back_and_confirm_keeps_the_digits() -> None:
    run, actions = walk(COLLECT, ["1234#", "1"])
    assert actions[1] == Ask("You entered 1 2 3 4. Press 1 if correct, 2 to enter it again.",
                             5000, 1)
    assert run.collected == {"account": "1234"} and run.path == ["account", "done"]


def test_re_entering_counts_as_an_attempt_and_the_second_entry_is_kept() -> None:
    run, actions = walk(COLLECT, ["1234", "2", "5678", "1"])
    assert run.collected == {"account": "5678"}
    assert actions[-2] == Play("Thanks, 5678.")


def test_never_confirming_runs_out_of_retries() -> None:
    run, _ = walk(COLLECT, ["1234", None, "1234", "2"])
    assert run.path == ["account", "failed"] and "account" not in run.collected
