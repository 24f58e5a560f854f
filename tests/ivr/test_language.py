"""The language step: a fixed language or a menu of languages; texts per language follow
the caller's choice, prompts carry it (the TTS voice) and the channel gets CC_LANGUAGE."""

from __future__ import annotations

from contactcenter.ivr.interpreter import Ask, Finish, Play, SetVariable
from tests.ivr.walking import walk

FLOW = """
name: t
languages: [en, es]
steps:
  choose:
    language:
      prompt: {en: For English press 1., es: Para español oprima 2.}
      choices: {"1": en, "2": es}
      retries: 1
      invalid: {en: Not a choice., es: No es una opción.}
    next: hello
    on_exhausted: fallback
  hello:
    say: {en: "Hello ${caller_name}.", es: "Hola ${caller_name}."}
    next: bye
  fallback: {say: Continuing in English., next: bye}
  bye: {hangup: {en: Goodbye., es: Adiós.}}
"""


def test_the_chosen_language_selects_texts_voice_and_channel_variables() -> None:
    run, actions = walk(FLOW, ["2"])
    assert actions[0] == Ask("For English press 1.", 5000, 1)  # the default until they choose
    assert actions[1:3] == [SetVariable("CHANNEL(language)", "es"),
                            SetVariable("CC_LANGUAGE", "es")]
    assert actions[3:] == [Play("Hola Ada.", language="es"), Play("Adiós.", language="es"),
                           Finish("hangup", "bye")]
    assert run.vars["language"] == "es" and run.vars["choose_choice"] == "2"


def test_a_bad_key_apologises_in_the_default_language_then_english_is_chosen() -> None:
    _, actions = walk(FLOW, ["7", "1"])
    assert actions[1] == Play("Not a choice.")
    assert Play("Hello Ada.", language="en") in actions


def test_no_choice_keeps_the_default_and_follows_on_exhausted() -> None:
    run, actions = walk(FLOW, [None, None])
    assert run.path == ["choose", "fallback", "bye"]
    assert not any(isinstance(a, SetVariable) for a in actions)
    assert actions[-2] == Play("Goodbye.")


def test_a_fixed_language_without_on_exhausted() -> None:
    run, actions = walk("""
name: t
languages: [en, fr-ca]
steps:
  fr: {language: fr-ca, next: hello}
  hello: {hangup: {en: Bye., fr-ca: Salut.}}
""", [])
    assert actions == [SetVariable("CHANNEL(language)", "fr-ca"),
                       SetVariable("CC_LANGUAGE", "fr-ca"),
                       Play("Salut.", language="fr-ca"), Finish("hangup", "hello")]


def test_a_language_menu_with_no_choice_and_no_on_exhausted_goes_on_to_next() -> None:
    run, _ = walk("""
name: t
languages: [en, es]
steps:
  choose:
    language: {prompt: Press 2 for Spanish., choices: {"2": es}, retries: 0}
    next: bye
  bye: {hangup: }
""", [None])
    assert run.path == ["choose", "bye"] and run.language == ""
