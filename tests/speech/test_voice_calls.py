"""A caller chooses by voice, end to end: the simulator streams espeak-ng's words over
AudioSocket in real time, the platform's recogniser hears them, the IVR queues the call."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest

from contactcenter.sim import ScriptedCaller, Speech
from contactcenter.speech.sphinx_engine import SphinxRecognizer
from tests.speech.calls import place_calls, voice_turns
from tests.speech.conftest import Speak


@pytest.fixture(scope="module")
def sphinx() -> SphinxRecognizer:
    return SphinxRecognizer()


async def test_saying_pay_my_bill_reaches_billing_with_pocketsphinx(
        tmp_path: Path, speak: Speak, sphinx: SphinxRecognizer) -> None:
    caller = ScriptedCaller(answers=(Speech(speak("pay my bill")), "1001#"))
    async with voice_turns(sphinx) as voice:
        [call] = await place_calls(tmp_path, [caller], voice)
    assert call.variables["CC_QUEUE"] == "billing"
    fields = parse_qs(call.variables["CC_FIELDS"])
    assert fields["said"] == ["pay my bill"] and fields["account"] == ["1001"]
