"""Text to speech for prompts: pyttsx3 (espeak-ng) renders, sox converts to the 8 kHz mono
16-bit WAV Asterisk plays; files are cached by a hash of voice and text, so each prompt is
synthesised once however many callers hear it.

Numbers are never synthesised per caller: a text with numbers in it ("You are number 3 in
the queue. Your estimated wait is about 2 minutes.") is put together from fragments - the
words between the numbers, and each number on its own - each rendered once and cached, so
the next caller's "number 4" costs a file concatenation, not a synthesis. Names and other
free text are rendered once per distinct text and cached like any prompt.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import threading
import wave
from pathlib import Path

import pyttsx3

from contactcenter.speech.audio import read_pcm, write_pcm
from contactcenter.speech.errors import SpeechError

__all__ = ["PromptRenderer", "SpeechError", "fragments"]

NUMBER = re.compile(r"\b(\d+)\b")
SYNTHESIS_ATTEMPTS = 3
_ENGINE_LOCK = threading.Lock()  # espeak-ng's synthesis callback is process-global
_engines: list[tuple[pyttsx3.Engine, str]] = []


def _engine(voice: str) -> pyttsx3.Engine:
    """The one pyttsx3 engine of this process (call with _ENGINE_LOCK held), speaking with
    `voice` ("": the engine's own default): a second engine would re-register espeak's
    global callback and write into the first one's file."""
    if not _engines:
        engine = pyttsx3.init("espeak")
        _silence_driver()
        _engines.append((engine, engine.getProperty("voice")))
    engine, default = _engines[0]
    engine.setProperty("voice", voice or default)  # shared: the last prompt's voice lingers
    return engine


def _silence_driver() -> None:
    """pyttsx3's espeak driver print()s "Audio saved to <file>" for every file it writes:
    on stdout it corrupts our commands' output (demo --json), redirected it fills the
    console and the logs. Its module's print is made silent (it prints nothing else we
    want); swapping sys.stdout instead would swallow other threads' output meanwhile."""
    from pyttsx3.drivers import espeak as driver

    driver.print = lambda *args, **kwargs: None


def _speak(text: str, voice: str, raw: Path) -> None:
    """`text` spoken into the WAV file `raw` (call with _ENGINE_LOCK held).

    pyttsx3 2.99's espeak driver now and then writes a WAV without a single frame (in about
    1 of 10 processes, the first long prompt: seen as the main menu's GET DATA answered
    `200 result=-1` at once by Asterisk 20, every caller sent on to the operator queue), and
    the same text comes out whole when asked again: so an empty file is asked for again,
    and never cached."""
    for _ in range(SYNTHESIS_ATTEMPTS):
        engine = _engine(voice)
        engine.save_to_file(text, str(raw))
        engine.runAndWait()
        with wave.open(str(raw)) as audio:
            if audio.getnframes():
                return
    raise RuntimeError(f"the engine gave no audio in {SYNTHESIS_ATTEMPTS} attempts")


def fragments(text: str) -> list[str]:
    """The parts a text is spoken from: the words between numbers, and each number alone
    ("number 3 in the queue" -> ["number", "3", "in the queue"]); a text without numbers
    is one part. Parts with nothing to say (a lone full stop) are dropped."""
    parts = [part.strip() for part in NUMBER.split(text)]
    return [part for part in parts if any(char.isalnum() for char in part)]


class PromptRenderer:
    """Renders text to `<cache_dir>/<sha256>.wav`; returns the path without `.wav`, which is
    what STREAM FILE and GET DATA expect. Blocking: async callers use a worker thread.
    `voice` is espeak-ng's voice or language code ("es", "fr-fr"); None: the renderer's own."""

    def __init__(self, cache_dir: str | Path, *, voice: str = "") -> None:
        self.cache_dir = Path(cache_dir).resolve()
        self.voice = voice
        self._rendered: dict[tuple[str, str], Path] = {}

    def cached(self, text: str, voice: str | None = None) -> Path | None:
        """The prompt if this renderer already produced it: no disk or thread needed, so the
        IVR answers the next AGI command without leaving the event loop."""
        return self._rendered.get((self.voice if voice is None else voice, text))

    def path_for(self, text: str, voice: str | None = None) -> Path:
        voice = self.voice if voice is None else voice
        digest = hashlib.sha256(f"{voice}\0{text}".encode()).hexdigest()[:32]
        return self.cache_dir / digest

    def render(self, text: str, voice: str | None = None) -> Path:
        voice = self.voice if voice is None else voice
        target = self.path_for(text, voice)
        wav = target.with_suffix(".wav")
        if not wav.exists():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            parts = fragments(text)
            if len(parts) > 1:
                self._join([self.render(part, voice).with_suffix(".wav") for part in parts],
                           wav)
            else:
                self._synthesise(text, voice, wav)
        self._rendered[voice, text] = target
        return target

    @staticmethod
    def _join(parts: list[Path], wav: Path) -> None:
        """Concatenate rendered fragments (the renderer wrote them all in one format)."""
        tmp = wav.with_name(f"{wav.stem}.{threading.get_ident()}.part")
        write_pcm(tmp, b"".join(read_pcm(part) for part in parts))
        tmp.replace(wav)  # atomic: a reader never sees half a file

    def _synthesise(self, text: str, voice: str, wav: Path) -> None:
        with _ENGINE_LOCK, tempfile.TemporaryDirectory(dir=self.cache_dir) as tmp:
            if wav.exists():  # rendered by another caller while we waited for the engine
                return
            raw = Path(tmp) / "raw.wav"
            try:
                _speak(text, voice, raw)
                subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16",
                                str(Path(tmp) / "out.wav")], check=True, capture_output=True)
            except (OSError, RuntimeError, wave.Error, subprocess.CalledProcessError) as exc:
                raise SpeechError(f"cannot render prompt {text!r}: {exc}") from exc
            (Path(tmp) / "out.wav").replace(wav)  # atomic: a reader never sees half a file
