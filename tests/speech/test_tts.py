"""Prompts rendered by real espeak-ng through pyttsx3, in the format Asterisk plays."""

from __future__ import annotations

import wave

import pytest

from contactcenter.speech import tts
from contactcenter.speech.audio import read_pcm
from contactcenter.speech.tts import PromptRenderer, SpeechError, fragments


def test_prompt_is_8khz_mono_16bit_speech_and_cached(tmp_path) -> None:
    renderer = PromptRenderer(tmp_path)
    path = renderer.render("For billing, press one.")
    wav = path.with_suffix(".wav")
    with wave.open(str(wav)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() > 8000 * 0.5  # at least half a second of speech
    mtime = wav.stat().st_mtime_ns
    assert renderer.render("For billing, press one.") == path
    assert wav.stat().st_mtime_ns == mtime  # synthesised once
    assert renderer.render("For support, press two.") != path


def test_cached_knows_only_prompts_this_renderer_produced(tmp_path) -> None:
    renderer = PromptRenderer(tmp_path)
    assert renderer.cached("Goodbye.") is None
    path = renderer.render("Goodbye.")
    assert renderer.cached("Goodbye.") == path
    assert renderer.cached("Hello.") is None



def test_each_voice_has_its_own_prompt(tmp_path) -> None:
    renderer = PromptRenderer(tmp_path)
    english = renderer.render("Hola, buenos días.")
    spanish = renderer.render("Hola, buenos días.", voice="es")
    assert spanish != english and spanish.with_suffix(".wav").exists()
    assert renderer.cached("Hola, buenos días.", "es") == spanish
    assert renderer.cached("Hola, buenos días.") == english


class EmptyFirst:
    """An engine that writes a WAV without frames `empty` times, then a second of sound:
    what pyttsx3's espeak driver now and then does (see tts._speak)."""

    def __init__(self, empty: int) -> None:
        self.empty = empty
        self.asked = 0
        self._file = ""

    def save_to_file(self, text: str, filename: str) -> None:
        self._file = filename

    def runAndWait(self) -> None:  # noqa: N802 (pyttsx3's name)
        self.asked += 1
        with wave.open(self._file, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(22050)
            if self.asked > self.empty:
                out.writeframes(b"\x10\x00\xf0\xff" * 11025)


def test_an_empty_synthesis_is_asked_again_and_never_cached(tmp_path, monkeypatch) -> None:
    engine = EmptyFirst(empty=1)
    monkeypatch.setattr(tts, "_engine", lambda voice: engine)
    wav = PromptRenderer(tmp_path).render("For support, press two.").with_suffix(".wav")
    with wave.open(str(wav)) as audio:
        assert audio.getnframes() == 8000  # the second attempt's second of sound
    assert engine.asked == 2


def test_a_prompt_the_engine_never_speaks_is_an_error_not_a_silent_file(
        tmp_path, monkeypatch) -> None:
    engine = EmptyFirst(empty=tts.SYNTHESIS_ATTEMPTS)
    monkeypatch.setattr(tts, "_engine", lambda voice: engine)
    renderer = PromptRenderer(tmp_path)
    with pytest.raises(SpeechError):
        renderer.render("For support, press two.")
    assert list(tmp_path.glob("*.wav")) == [] and renderer.cached("For support, press two.") is None


def test_numbers_come_from_fragments_rendered_once(tmp_path) -> None:
    renderer = PromptRenderer(tmp_path)
    first = renderer.render("You are number 3 in the queue. Your wait is about 2 minutes.")
    pieces = {p.name for p in tmp_path.glob("*.wav")}
    for fragment in ("You are number", "3", "in the queue. Your wait is about", "2",
                     "minutes."):
        assert renderer.path_for(fragment).with_suffix(".wav").name in pieces
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*.wav")}
    second = renderer.render("You are number 2 in the queue. Your wait is about 3 minutes.")
    assert second != first
    new = set(tmp_path.glob("*.wav")) - set(stamps)
    assert new == {second.with_suffix(".wav")}  # put together, nothing synthesised
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())
    total = sum(len(read_pcm(renderer.path_for(f).with_suffix(".wav")))
                for f in ("You are number", "2", "in the queue. Your wait is about", "3",
                          "minutes."))
    assert len(read_pcm(second.with_suffix(".wav"))) == total


def test_fragments_split_numbers_out_of_the_words() -> None:
    assert fragments("You entered 1 2 3.") == ["You entered", "1", "2", "3"]
    assert fragments("Welcome back, Ada Lovelace.") == ["Welcome back, Ada Lovelace."]
    assert fragments("Room 42b, mp3") == ["Room 42b, mp3"]


def test_pyttsx3_says_nothing_on_the_console(tmp_path, capfd) -> None:
    PromptRenderer(tmp_path).render("Nothing to see here.")
    out, err = capfd.readouterr()
    assert "Audio saved" not in out + err
