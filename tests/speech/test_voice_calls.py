"""Callers who speak, end to end: the simulator streams espeak-ng's words over AudioSocket
in real time, the platform's recogniser (real pocketsphinx, real vosk) hears them, the IVR
queues the call. And when the recogniser cannot help, the keys still get callers there."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs

from contactcenter.sim import ScriptedCaller, Speech
from contactcenter.speech.listen import ListenSettings
from contactcenter.speech.recognizer import Recognition, Recognizer, Utterance
from contactcenter.speech.sphinx_engine import SphinxRecognizer
from contactcenter.speech.vosk_engine import VoskRecognizer
from tests.conftest import Speak
from tests.speech.calls import place_calls, voice_turns

KOREAN_FLOW = """
name: main
steps:
  menu:
    menu:
      prompt: 요금 납부는 1번, 상담원 연결은 0번을 누르거나 말씀하세요.
      choices:
        "1": {goto: billing, say: [요금 납부]}
        "0": {goto: operator, say: [상담원 연결]}
      retries: 1
    on_exhausted: operator
  billing: {queue: {name: billing}}
  operator: {queue: {name: operator}}
"""


async def test_saying_pay_my_bill_reaches_billing_with_pocketsphinx(
        tmp_path: Path, speak: Speak, sphinx: SphinxRecognizer) -> None:
    caller = ScriptedCaller(answers=(Speech(speak("pay my bill")), "1001#"))
    async with voice_turns(sphinx) as voice:
        [call] = await place_calls(tmp_path, [caller], voice)
    assert call.variables["CC_QUEUE"] == "billing"
    fields = parse_qs(call.variables["CC_FIELDS"])
    assert fields["said"] == ["pay my bill"] and fields["account"] == ["1001"]
    assert call.finished.path[:4] == ("identify", "welcome", "menu", "account")


async def test_a_korean_caller_chooses_by_voice_with_vosk(
        tmp_path: Path, speak: Speak, vosk_korean: VoskRecognizer) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "main.yaml").write_text(KOREAN_FLOW, encoding="utf-8")
    caller = ScriptedCaller(answers=(Speech(speak("상담원 연결", voice="ko+f2", speed=150)),))
    async with voice_turns(vosk_korean) as voice:
        [call] = await place_calls(tmp_path, [caller], voice, flows=tmp_path / "flows")
    assert call.variables["CC_QUEUE"] == "operator"
    assert parse_qs(call.variables["CC_FIELDS"])["said"] == ["상담원 연결"]


async def test_the_ask_step_routes_a_spoken_request_to_its_queue(
        tmp_path: Path, speak: Speak, sphinx: SphinxRecognizer) -> None:
    callers = [ScriptedCaller(answers=(Speech(speak("my modem is broken")),)),
               ScriptedCaller(answers=(Speech(speak("I want to pay my bill")),))]
    async with voice_turns(sphinx) as voice:
        support, billing = await place_calls(tmp_path, callers, voice, flow="assistant")
    assert support.variables["CC_QUEUE"] == "support"
    assert billing.variables["CC_QUEUE"] == "billing"
    assert support.finished.path == ("how_can_i_help", "support")


class Failing:
    """The real engine, whose results fail (a crash) or come too late (an overload)."""

    def __init__(self, engine: Recognizer, *, delay: float = 0.0) -> None:
        self.name, self.engine, self.delay = "failing", engine, delay

    def start(self, phrases: Sequence[str] = (), *, free: bool = False) -> Utterance:
        real, delay = self.engine.start(phrases, free=free), self.delay

        class Late:
            def feed(self, pcm: bytes) -> None:
                real.feed(pcm)

            def result(self) -> Recognition:
                if not delay:
                    raise RuntimeError("decoder crashed")
                time.sleep(delay)
                return real.result()
        return Late()


async def test_a_failing_or_slow_recogniser_falls_back_to_keys_and_reaches_a_queue(
        tmp_path: Path, speak: Speak, sphinx: SphinxRecognizer) -> None:
    said = Speech(speak("technical support"))
    callers = [ScriptedCaller(answers=(said, "2"))]
    for engine in (Failing(sphinx), Failing(sphinx, delay=1.5)):
        async with voice_turns(engine, settings=ListenSettings(end_silence_ms=400,
                                                               result_s=0.5)) as voice:
            [call] = await place_calls(tmp_path, callers, voice)
        assert call.variables["CC_QUEUE"] == "support"
        assert "said" not in parse_qs(call.variables.get("CC_FIELDS", ""))


async def test_a_busy_recogniser_means_keys_at_once(tmp_path: Path,
                                                    sphinx: SphinxRecognizer) -> None:
    async with voice_turns(sphinx, max_streams=0) as voice:
        menu, ask = [await place_calls(tmp_path, [ScriptedCaller(answers=("3",))], voice,
                                       flow=flow) for flow in ("main", "assistant")]
    assert menu[0].variables["CC_QUEUE"] == "sales"
    assert ask[0].variables["CC_QUEUE"] == "sales"  # assistant: straight to its key menu
    assert ask[0].finished.path[:3] == ("how_can_i_help", "key_menu", "main:menu")


async def test_no_audiosocket_server_means_keys(tmp_path: Path, sphinx: SphinxRecognizer,
                                                unused_port: int) -> None:
    async with voice_turns(sphinx) as voice:
        voice.address = f"127.0.0.1:{unused_port}"  # Asterisk cannot connect: result=-1
        [call] = await place_calls(tmp_path, [ScriptedCaller(answers=("0",))], voice)
    assert call.variables["CC_QUEUE"] == "operator"
