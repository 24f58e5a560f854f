"""PocketSphinx with its bundled US-English model: the engine a fresh install has, so the
demo understands English with no download.

The model is 16 kHz: call audio is upsampled (feeding 8 kHz with the model's 6.8 kHz filter
bank refuses to start, and narrowing the filter bank ruins accuracy). Each vocabulary gets
its own decoder over a dictionary of just its words: a grammar (JSGF) for menus, and for open
questions with hints a small language model built from them (pocketsphinx.lm), which hears
"my internet is not working" where the general model hears "the op where the"; without hints
the general model. Decoders are not thread-safe: each utterance borrows one and gives it back.

Confidence: the mean posterior probability of the best transcript's words (from the
lattice; the utterance-level posterior says nothing here: near 0.5 for right answers and
near 1 for wrong ones on telephone audio). The n-best alternatives are the distinct texts of
the n-best list, each with its share of that list.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import threading
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

from contactcenter.speech.audio import Resampling, upsample
from contactcenter.speech.phrases import words
from contactcenter.speech.recognizer import Recognition, RecognizerError

log = logging.getLogger(__name__)

MODEL_RATE = 16000
NBEST_DEPTH = 10  # n-best entries weighed for the alternatives
FILLER = re.compile(r"<.*>|\[.*\]|\+\+.*\+\+")  # <s>, <sil>, [NOISE], ++GARBAGE++

try:
    import pocketsphinx
    from pocketsphinx.lm import ArpaBoLM
except ImportError:  # pragma: no cover - a dependency; the error says what to install
    pocketsphinx = None


class SphinxUtterance:
    def __init__(self, engine: SphinxRecognizer, key: tuple[object, ...],
                 decoder: pocketsphinx.Decoder) -> None:
        self._engine, self._key, self._decoder = engine, key, decoder
        self._state: Resampling = None
        self._done = False
        decoder.start_utt()

    def feed(self, pcm: bytes) -> None:
        wide, self._state = upsample(pcm, self._state, MODEL_RATE)
        self._decoder.process_raw(wide, False, False)

    def result(self) -> Recognition:
        if self._done:
            raise RecognizerError("utterance already finished")
        self._done = True
        decoder = self._decoder
        try:
            decoder.end_utt()
            hyp = decoder.hyp()
            best = " ".join(words(hyp.hypstr)) if hyp is not None else ""
            posteriors = [s.prob for s in decoder.seg() or () if not FILLER.fullmatch(s.word)]
            texts = [" ".join(words(n.hypstr))
                     for n in islice(decoder.nbest() or (), NBEST_DEPTH) if n is not None]
        finally:
            self._engine.give_back(self._key, decoder)
        if not best:
            return Recognition("", 0.0)
        confidence = round(sum(posteriors) / len(posteriors), 3) if posteriors else 0.0
        share = {text: round(texts.count(text) / len(texts), 3) for text in texts if text}
        others = sorted((kv for kv in share.items() if kv[0] != best), key=lambda kv: -kv[1])
        alternatives = ((best, confidence), *others)[:self._engine.n_best]
        return Recognition(best, confidence, alternatives)


class SphinxRecognizer:
    """Thread-safe: utterances may start from any worker thread."""

    name = "pocketsphinx"

    def __init__(self, *, n_best: int = 3) -> None:
        if pocketsphinx is None:
            raise RecognizerError("pocketsphinx is not installed (pip install pocketsphinx)")
        self.n_best = n_best
        model = Path(pocketsphinx.get_model_path()) / "en-us"
        self._hmm = str(model / "en-us")
        self._lm = str(model / "en-us.lm.bin")
        self._lexicon = _read_dictionary(model / "cmudict-en-us.dict")
        self._work = tempfile.TemporaryDirectory(prefix="cc-sphinx-")
        self._idle: dict[tuple[object, ...], list[pocketsphinx.Decoder]] = {}
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def start(self, phrases: Sequence[str] = (), *, free: bool = False) -> SphinxUtterance:
        said = tuple(p for p in dict.fromkeys(" ".join(self._known(p)) for p in phrases) if p)
        if not said and not free:
            raise RecognizerError("a grammar needs at least one phrase of known words")
        key: tuple[object, ...] = ("free" if free else "grammar", *said) if said else ("general",)
        with self._lock:
            idle = self._idle.get(key)
            decoder = idle.pop() if idle else None
        return SphinxUtterance(self, key, decoder or self._decoder(key, said, free))

    def give_back(self, key: tuple[object, ...], decoder: pocketsphinx.Decoder) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(decoder)

    def _known(self, phrase: str) -> list[str]:
        """The phrase's words the dictionary can pronounce; the others are left out, once
        logged (the model has no letter-to-sound rules)."""
        found = []
        for word in words(phrase):
            if word in self._lexicon:
                found.append(word)
            elif word not in self._warned:
                self._warned.add(word)
                log.warning("pocketsphinx: %r is not in the dictionary; left out", word)
        return found

    def _decoder(self, key: tuple[object, ...], phrases: tuple[str, ...],
                 free: bool) -> pocketsphinx.Decoder:
        common = {"hmm": self._hmm, "samprate": MODEL_RATE, "loglevel": "FATAL"}
        try:
            if not phrases:
                return pocketsphinx.Decoder(**common, lm=self._lm, bestpath=True)
            folder = Path(tempfile.mkdtemp(dir=self._work.name))
            vocabulary = sorted({w for p in phrases for w in p.split()})
            (folder / "words.dict").write_text(
                "".join(line for w in vocabulary for line in self._lexicon[w]))
            if free:
                (folder / "hints.arpa").write_text(_language_model(phrases))
                return pocketsphinx.Decoder(**common, dict=str(folder / "words.dict"),
                                            lm=str(folder / "hints.arpa"), bestpath=True)
            decoder = pocketsphinx.Decoder(**common, dict=str(folder / "words.dict"), lm=None)
            alternatives = " | ".join(f"( {p} )" for p in phrases)
            decoder.add_jsgf_string("menu", f"#JSGF V1.0;\ngrammar menu;\n"
                                            f"public <menu> = {alternatives};\n")
            decoder.activate_search("menu")
            return decoder
        except (RuntimeError, ValueError, OSError) as exc:
            raise RecognizerError(f"pocketsphinx cannot build a decoder for {key}: {exc}") \
                from exc


def _read_dictionary(path: Path) -> dict[str, list[str]]:
    """Word -> its dictionary lines (a word may have several pronunciations: word(2))."""
    lexicon: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            head = line.split(" ", 1)[0]
            lexicon.setdefault(head.split("(", 1)[0], []).append(line)
    return lexicon


def _language_model(phrases: Sequence[str]) -> str:
    """An ARPA trigram model of the hint phrases (each also word by word, so that any order
    of their words stays possible). Words outside the hints are heard as hint words: the
    intents' scoring and the confirmation absorb that, vosk's open vocabulary does not
    need it."""
    corpus = "\n".join([*phrases, *(w for p in phrases for w in p.split())])
    model = ArpaBoLM(text=corpus, add_start=True)
    model.compute()
    out = io.StringIO()
    model.write(out)
    return out.getvalue()
