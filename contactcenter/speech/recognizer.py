"""Speech recognition behind one small interface: a Recognizer starts Utterances, each fed
8 kHz 16-bit mono audio as it arrives and asked for its Recognition once the caller stopped.

Two modes: a grammar (the phrases a menu accepts: the engine hears only those) and free
speech (open questions; `phrases` are then hints, used by engines that can bias towards a
vocabulary). Engines are blocking C code: callers go through speech.pool, never the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from contactcenter.speech.errors import SpeechError

ENGINES = ("auto", "vosk", "pocketsphinx", "none")
SAMPLE_RATE = 8000  # what AudioSocket and the rendered prompts carry


class RecognizerError(SpeechError):
    """The engine cannot be loaded or failed on an utterance."""


@dataclass(frozen=True)
class Recognition:
    """What the caller said: the best transcript, its confidence (0..1, engine-specific: see
    each engine), and the n-best alternatives (text, confidence), best first, when the engine
    gives them. An empty text: the engine heard no words."""

    text: str
    confidence: float = 1.0
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        """The best transcript, then the other alternatives, without repeats."""
        found = [self.text] + [text for text, _ in self.alternatives]
        return tuple(dict.fromkeys(t for t in found if t))


class Utterance(Protocol):
    """One caller turn inside an engine. Not thread-safe: one call at a time."""

    def feed(self, pcm: bytes) -> None: ...

    def result(self) -> Recognition: ...


class Recognizer(Protocol):
    """An engine with its model loaded once, shared by all utterances."""

    name: str

    def start(self, phrases: Sequence[str] = (), *, free: bool = False) -> Utterance: ...


def open_recognizer(engine: str, *, vosk_model: str = "", n_best: int = 3) -> Recognizer | None:
    """The configured engine, its model loaded (blocking: seconds for a vosk model).
    auto: vosk when a model path is configured, else pocketsphinx's bundled US-English model.
    none: no recognizer (every speech step falls back to keys)."""
    if engine not in ENGINES:
        raise RecognizerError(f"unknown speech engine {engine!r} (one of {', '.join(ENGINES)})")
    if engine == "none":
        return None
    if engine == "vosk" or (engine == "auto" and vosk_model):
        from contactcenter.speech.vosk_engine import VoskRecognizer
        return VoskRecognizer(vosk_model, n_best=n_best)
    from contactcenter.speech.sphinx_engine import SphinxRecognizer
    return SphinxRecognizer(n_best=n_best)


def recognize(recognizer: Recognizer, pcm: bytes, phrases: Sequence[str] = (), *,
              free: bool = False, chunk: int = 1600) -> Recognition:
    """A whole recording at once (dry runs, flow tests, the benchmark): blocking."""
    utterance = recognizer.start(phrases, free=free)
    for i in range(0, len(pcm), chunk):
        utterance.feed(pcm[i:i + chunk])
    return utterance.result()
