"""Dry runs with speech: `flows simulate --say/--audio` and flow tests with {say} and
{audio} inputs, the audio heard by the configured recogniser (pocketsphinx by default)."""

from __future__ import annotations

import shutil
from pathlib import Path

from contactcenter.cli import main
from tests.conftest import Speak

FLOWS = Path(__file__).parents[2] / "flows"


def test_simulate_says_words_to_the_open_question(capsys) -> None:
    assert main(["flows", "simulate", "assistant", "--say", "I want to pay my bill"]) == 0
    out = capsys.readouterr().out
    assert "caller: says 'I want to pay my bill' (confidence 1.00)" in out
    assert "ends: queued in queue billing at step billing" in out


def test_simulate_hears_a_recording_with_the_real_recogniser(speak: Speak, capsys) -> None:
    audio = speak("technical support")
    assert main(["flows", "simulate", "main", "--audio", str(audio)]) == 0
    out = capsys.readouterr().out
    assert f"says 'technical support' ({audio.name}: confidence" in out
    assert "ends: queued in queue support at step support" in out


def test_keys_words_and_recordings_keep_their_order(speak: Speak, capsys) -> None:
    assert main(["flows", "simulate", "main", "--input", "7", "--audio",
                 str(speak("pay my bill")), "--input", "1001#"]) == 0
    out = capsys.readouterr().out
    assert "main > menu > account" in out.replace("path: identify > welcome > ", "main > ")
    assert "ends: queued in queue billing at step billing" in out


def test_flow_tests_take_recordings_beside_the_test_file(speak: Speak, tmp_path: Path,
                                                        capsys) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    shutil.copy(speak("I would like to buy a new phone"), flows / "tests" / "new-phone.wav")
    (flows / "tests" / "spoken.yaml").write_text("""
flow: assistant
tests:
  - name: a recorded request reaches sales
    inputs: [{audio: new-phone.wav}]
    variables: {how_can_i_help_intent: sales}
    ends: {queue: sales}
  - name: a missing recording is reported
    inputs: [{audio: nowhere.wav}]
    ends: {queue: sales}
""")
    assert main(["flows", "test", str(flows / "tests" / "spoken.yaml"), "--flows",
                 str(flows)]) == 1
    out = capsys.readouterr().out
    assert "spoken.yaml:9:15: no audio file" in out  # reported, not run
    assert "1 flow test(s) in 1 file(s), 1 failure(s)" in out  # the recording passed
