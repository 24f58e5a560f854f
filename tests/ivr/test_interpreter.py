"""The pure interpreter: every step type and every error path, no sockets."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from contactcenter.ivr.flow import parse_flow
from contactcenter.ivr.interpreter import (
    CallInfo,
    Exec,
    Finish,
    FlowRun,
    Play,
    SetVariable,
)
from contactcenter.ivr.steptypes.collect import luhn_ok
from tests.ivr.walking import walk

MAIN = """
name: main
start: welcome
steps:
  welcome:
    say: Hello ${caller_name}.
    next: menu
  menu:
    menu:
      prompt: Press 1 for billing or 2 for support.
      choices: {"1": account, "2": support}
      retries: 1
      invalid: Not a choice.
      no_input: I heard nothing.
    on_exhausted: goodbye
  account:
    collect:
      prompt: Your card number?
      into: card
      min: 12
      max: 19
      luhn: true
      retries: 1
      invalid: Invalid.
    next: check
    on_exhausted: goodbye
  check:
    branch:
      cases:
        - {if: "card matches 4.*", goto: visa}
      otherwise: support
  visa:
    set: {kind: visa}
    next: billing
  billing:
    queue: {name: billing, priority: 2, skills: {english: 1}, fields: [card, kind]}
  support:
    queue: {name: support}
  goodbye:
    hangup: Goodbye.
"""


def test_keys_lead_to_the_queue_with_its_channel_variables() -> None:
    run, actions = walk(MAIN, ["1", "4111111111111111"])
    assert actions[0] == Play("Hello Ada.")
    sets = {a.name: a.value for a in actions if isinstance(a, SetVariable)}
    assert sets["CC_QUEUE"] == "billing" and sets["CC_PRIORITY"] == "2"
    assert sets["CC_CALL_ID"] == "17.1" and sets["CC_SKILLS"] == "english:1"
    assert sets["CC_ENTERED"] == "100.000"
    assert parse_qs(sets["CC_FIELDS"]) == {"card": ["4111111111111111"], "kind": ["visa"]}
    assert sets["CC_IVR_PATH"] == "main:welcome,main:menu,main:account,main:check,main:visa,main:billing"
    assert actions[-1] == Finish("queued", "billing", queue="billing", variables=sets)


def test_branch_otherwise_and_luhn_failure_retry() -> None:
    run, actions = walk(MAIN, ["1", "4111111111111112", "5500000000000004"])
    assert Play("Invalid.") in actions
    assert actions[-1].queue == "support"
    assert run.collected == {"card": "5500000000000004"}


def test_invalid_key_and_silence_exhaust_the_menu() -> None:
    run, actions = walk(MAIN, ["9", None])
    assert Play("Not a choice.") in actions and Play("I heard nothing.") in actions
    assert actions[-2:] == [Play("Goodbye."), Finish("hangup", "goodbye")]
    assert run.path == ["welcome", "menu", "goodbye"]


def test_collect_exhausted_goes_where_the_flow_says() -> None:
    _, actions = walk(MAIN, ["1", "12", None])
    assert actions[-1] == Finish("hangup", "goodbye")


def test_failed_prompt_follows_on_error() -> None:
    text = """
name: t
steps:
  a: {play: missing-file, next: b, on_error: c}
  b: {hangup: }
  c: {transfer: "PJSIP/operator"}
"""
    _, actions = walk(text, [], play_ok=False)
    assert actions == [Play("missing-file", kind="play"), Exec("Transfer", "PJSIP/operator"),
                       Finish("transferred", "c", target="PJSIP/operator")]


def test_goto_set_and_conditions() -> None:
    text = """
name: t
steps:
  a: {set: {lang: fr, who: "${caller_num}"}, next: b}
  b: {goto: c}
  c:
    branch:
      cases:
        - {if: "lang == en", goto: en}
        - {if: "missing is set", goto: en}
        - {if: "lang != fr", goto: en}
        - {if: "who is empty", goto: en}
        - {if: "who == ${caller_num}", goto: fr}
      otherwise: en
  en: {hangup: Bye}
  fr: {hangup: Au revoir}
"""
    run, actions = walk(text, [])
    assert actions[-2] == Play("Au revoir") and run.vars["who"] == "+14155550123"


@pytest.mark.parametrize(("digits", "ok"), [("4111111111111111", True), ("79927398713", True),
                                            ("79927398710", False), ("", False)])
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


HOURS_FLOW = """
name: hours
start: check
steps:
  check:
    hours:
      timezone: America/New_York
      open: {mon-fri: "09:00-17:00", sat: "10:00-12:00"}
      holidays: [2026-12-25]
      closed: closed
    next: open
  open: {hangup: Open.}
  closed: {hangup: Closed.}
"""


@pytest.mark.parametrize(("utc", "ends"), [
    ("2026-11-23T14:00:00", "open"),    # Monday 09:00 in New York: opens
    ("2026-11-23T13:59:00", "closed"),  # 08:59
    ("2026-11-23T22:00:00", "closed"),  # 17:00: closed at the end of the span
    ("2026-11-28T16:30:00", "open"),    # Saturday 11:30
    ("2026-11-29T16:30:00", "closed"),  # Sunday
    ("2026-12-25T16:00:00", "closed"),  # a Friday, but a holiday
])
def test_hours_in_the_flow_time_zone(utc: str, ends: str) -> None:
    from datetime import UTC, datetime
    flow, errors = parse_flow(HOURS_FLOW, "t.yaml")
    assert not errors, errors
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC).timestamp()
    run = FlowRun(flow, CallInfo("17.1", "SIP/x", "+1", "Ada"), clock=lambda: at)
    action = run.start()
    while not isinstance(action, Finish):
        action = run.resume(True)
    assert run.path == ["check", ends]
