"""Text to speech for prompts: pyttsx3 (espeak-ng) renders, sox converts to the 8 kHz mono
16-bit WAV Asterisk plays; files are cached by a hash of voice and text, so each prompt is
synthesised once however many callers hear it."""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import sys
import tempfile
import threading
import wave
from pathlib import Path

import pyttsx3

from contactcenter.errors import ContactCenterError


class SpeechError(ContactCenterError):
    """A prompt could not be rendered (no espeak-ng, no sox, or an engine failure)."""


SYNTHESIS_ATTEMPTS = 3
_ENGINE_LOCK = threading.Lock()  # espeak-ng's synthesis callback is process-global
_engines: list[tuple[pyttsx3.Engine, str]] = []


def _engine(voice: str) -> pyttsx3.Engine:
    """The one pyttsx3 engine of this process (call with _ENGINE_LOCK held), speaking with
    `voice` ("": the engine's own default): a second engine would re-register espeak's
    global callback and write into the first one's file."""
    if not _engines:
        engine = pyttsx3.init("espeak")
        _engines.append((engine, engine.getProperty("voice")))
    engine, default = _engines[0]
    engine.setProperty("voice", voice or default)  # shared: the last prompt's voice lingers
    return engine


def _synthesise(text: str, voice: str, raw: Path) -> None:
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
        if wav.exists():
            self._rendered[voice, text] = target
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        # pyttsx3's espeak driver prints "Audio saved to ..." on stdout, which belongs to
        # our commands' output (demo --json): its chatter goes to stderr
        with _ENGINE_LOCK, tempfile.TemporaryDirectory(dir=self.cache_dir) as tmp, \
                contextlib.redirect_stdout(sys.stderr):
            if wav.exists():  # rendered by another caller while we waited for the engine
                return target
            raw = Path(tmp) / "raw.wav"
            try:
                _synthesise(text, voice, raw)
                subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16",
                                str(Path(tmp) / "out.wav")], check=True, capture_output=True)
            except (OSError, RuntimeError, wave.Error, subprocess.CalledProcessError) as exc:
                raise SpeechError(f"cannot render prompt {text!r}: {exc}") from exc
            (Path(tmp) / "out.wav").replace(wav)  # atomic: a reader never sees half a file
        self._rendered[voice, text] = target
        return target
