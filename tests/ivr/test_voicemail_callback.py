"""The voicemail and callback steps: where each ends, what the ACD is told, and their error
paths (a refused VoiceMail, a number that cannot be dialled)."""

from __future__ import annotations

from contactcenter.ivr.events import CallbackRequested
from contactcenter.ivr.interpreter import CallInfo, Exec, Finish, Play, Publish
from tests.ivr.walking import walk

VOICEMAIL = """
name: t
steps:
  leave:
    voicemail: {box: "${dept}", prompt: Leave a message after the tone.}
    on_error: sorry
  sorry: {hangup: Please call again tomorrow.}
"""


def test_voicemail_runs_the_application_then_ends_as_voicemail() -> None:
    flow = VOICEMAIL.replace("steps:", "steps:\n  dept: {set: {dept: sales}, next: leave}")
    _, actions = walk(flow, [])
    assert actions == [Play("Leave a message after the tone."),
                       Exec("VoiceMail", "sales@contactcenter,u"),
                       Finish("voicemail", "leave", target="sales@contactcenter")]


def test_a_refused_voicemail_takes_on_error() -> None:
    run, actions = walk(VOICEMAIL.replace('"${dept}"', "support"), [], exec_ok=False)
    assert run.path == ["leave", "sorry"]
    assert actions[-1] == Finish("hangup", "sorry")


def test_the_short_form_names_the_box() -> None:
    _, actions = walk("name: t\nsteps:\n  a: {voicemail: billing, on_error: b}\n"
                      "  b: {hangup: }\n", [])
    assert actions == [Exec("VoiceMail", "billing@contactcenter,u"),
                       Finish("voicemail", "a", target="billing@contactcenter")]


CALLBACK = """
name: t
steps:
  offer:
    callback:
      queue: support
      priority: 2
      skills: {english: 1}
      fields: [reason]
      confirm: We will call you back at ${caller_num}.
    on_error: ask
  ask:
    collect: {prompt: Your number?, into: callback_number, min: 7, max: 15}
    next: again
    on_exhausted: bye
  again:
    callback: {queue: support, number: "${callback_number}"}
    on_error: bye
  bye: {hangup: }
"""


def test_a_callback_tells_the_acd_then_confirms_and_ends() -> None:
    flow = CALLBACK.replace("steps:", "steps:\n  why: {set: {reason: modem}, next: offer}")
    _, actions = walk(flow, [])
    assert actions[0] == Publish(CallbackRequested(
        "17.1", "support", "+14155550123", "Ada", 2, {"english": 1}, {"reason": "modem"},
        "t:why,t:offer", 100.0))
    assert actions[1:] == [Play("We will call you back at +14155550123."),
                           Finish("callback", "offer", queue="support", target="+14155550123")]


def test_a_withheld_number_takes_on_error_to_collect_one() -> None:
    run, actions = walk(CALLBACK, ["00442071838750#"],
                        call=CallInfo("17.2", caller_num="anonymous"))
    [published] = [a.event for a in actions if isinstance(a, Publish)]
    assert (published.number, published.fields) == ("00442071838750",
                                                    {"callback_number": "00442071838750"})
    assert run.path == ["offer", "ask", "again"]
    assert actions[-1] == Finish("callback", "again", queue="support", target="00442071838750")
