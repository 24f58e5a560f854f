"""Vosk (Kaldi): the production engine, any language it has a model for (`[speech]
vosk_model` is the model's folder). One model is loaded per process and shared by every
utterance; each utterance is its own KaldiRecognizer at 8 kHz (vosk resamples to the model's
rate itself).

Menus run grammar-constrained (the recognizer hears only the phrases' words); open questions
run free over the model's whole vocabulary. Confidence: with n-best, the share of the
alternatives' probability that the best one holds (their scores are log-likelihoods), so
close alternatives mean doubt; with n_best 1, the mean of the words' confidences.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from contactcenter.speech.audio import RATE
from contactcenter.speech.phrases import words
from contactcenter.speech.recognizer import Recognition, RecognizerError

try:
    import vosk
except ImportError:  # pragma: no cover - a dependency; the error says what to install
    vosk = None


class VoskUtterance:
    def __init__(self, recognizer: vosk.KaldiRecognizer) -> None:
        self._recognizer = recognizer

    def feed(self, pcm: bytes) -> None:
        self._recognizer.AcceptWaveform(pcm)

    def result(self) -> Recognition:
        return _recognition(json.loads(self._recognizer.FinalResult()))


class VoskRecognizer:
    name = "vosk"

    def __init__(self, model_path: str, *, n_best: int = 3) -> None:
        if vosk is None:
            raise RecognizerError("vosk is not installed (pip install vosk)")
        if not model_path or not (Path(model_path) / "am").is_dir():
            raise RecognizerError(f"no vosk model at {model_path!r} ([speech] vosk_model: "
                                  "the folder with am/, conf/, graph/)")
        vosk.SetLogLevel(-1)  # Kaldi logs every utterance on stderr otherwise
        self.n_best = n_best
        try:
            self._model = vosk.Model(model_path)
        except Exception as exc:  # vosk raises a bare Exception
            raise RecognizerError(f"cannot load the vosk model {model_path}: {exc}") from exc

    def start(self, phrases: Sequence[str] = (), *, free: bool = False) -> VoskUtterance:
        if free:
            recognizer = vosk.KaldiRecognizer(self._model, RATE)
        else:
            grammar = [" ".join(words(p)) or p.strip() for p in phrases]
            if not any(grammar):
                raise RecognizerError("a grammar needs at least one phrase")
            recognizer = vosk.KaldiRecognizer(self._model, RATE,
                                              json.dumps(grammar, ensure_ascii=False))
        if self.n_best > 1:
            recognizer.SetMaxAlternatives(self.n_best)
        else:
            recognizer.SetWords(True)
        return VoskUtterance(recognizer)


def _recognition(found: dict) -> Recognition:
    """Vosk's final result (one of its two shapes) as a Recognition."""
    if "alternatives" not in found:
        confs = [w.get("conf", 1.0) for w in found.get("result", [])]
        text = found.get("text", "")
        return Recognition(text, round(sum(confs) / len(confs), 3) if confs else 0.0)
    scored = [(a.get("text", ""), float(a.get("confidence", 0.0)))
              for a in found["alternatives"]]
    if not scored or not scored[0][0]:
        return Recognition("", 0.0)
    top = max(score for _, score in scored)
    weights = [math.exp(score - top) for _, score in scored]
    total = sum(weights)
    alternatives = tuple((text, round(w / total, 3))
                         for (text, _), w in zip(scored, weights, strict=True))
    return Recognition(alternatives[0][0], alternatives[0][1], alternatives)
