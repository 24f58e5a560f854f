"""Prompts rendered by real espeak-ng through pyttsx3, in the format Asterisk plays."""

from __future__ import annotations

import wave

from contactcenter.speech.tts import PromptRenderer


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
