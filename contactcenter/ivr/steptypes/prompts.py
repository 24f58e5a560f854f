"""Steps that tell the caller something and go on: say (text to speech), play (a sound)."""

from __future__ import annotations

from collections.abc import Generator

from contactcenter.ivr.interpreter import Action, FlowRun, Play
from contactcenter.ivr.model import Step
from contactcenter.ivr.steptypes.check import StepCheck
from contactcenter.ivr.steptypes.steptype import TEXT, StepType


def after(step: Step, ok: object) -> str | None:
    """A prompt that failed to play takes on_error when there is one, else goes on."""
    return step.next if ok or not step.on_error else step.on_error


def check_say(check: StepCheck) -> None:
    check.spoken(check.node, check.action, check.where)


def run_say(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    return after(step, (yield call.tell(step.params)))


def run_play(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    return after(step, (yield Play(step.params, kind="play")))


SAY = StepType("say", check_say, run_say, "Text to speech.", value=TEXT, routes=("next",))
PLAY = StepType("play", StepCheck.plain_text, run_play, "An Asterisk sound file name.",
                value={"type": "string", "minLength": 1}, routes=("next",))
