"""Audio formats: the 8 kHz 16-bit mono signed-linear PCM that AudioSocket carries and the
prompts are rendered in, read from and written to WAV files, and resampled for engines whose
models want 16 kHz.

Resampling is the standard library's audioop (C, streaming with its state); it leaves the
standard library in Python 3.13, where the audioop-lts package (a pyproject dependency
there) provides the same module.
"""

from __future__ import annotations

import warnings
import wave
from pathlib import Path

from contactcenter.speech.errors import SpeechError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 8000
WIDTH = 2  # bytes per sample
FRAME_BYTES = 320  # 20 ms at 8 kHz: the frame AudioSocket and the VAD work in
FRAME_SECONDS = 0.02

# audioop.ratecv's state between chunks (its typeshed shape)
Resampling = tuple[int, tuple[tuple[int, int], ...]] | None


def read_pcm(path: str | Path) -> bytes:
    """The samples of an 8 kHz mono 16-bit WAV file (what the renderer and sox write)."""
    try:
        with wave.open(str(path)) as wav:
            shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            if shape != (RATE, 1, WIDTH):
                raise SpeechError(f"{path}: {shape[0]} Hz, {shape[1]} channel(s), "
                                  f"{8 * shape[2]}-bit: expected 8000 Hz mono 16-bit "
                                  "(sox FILE -r 8000 -c 1 -b 16 OUT.wav)")
            return wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise SpeechError(f"cannot read audio {path}: {exc}") from exc


def write_pcm(path: str | Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(WIDTH)
        wav.setframerate(RATE)
        wav.writeframes(pcm)


def upsample(pcm: bytes, state: Resampling, rate: int = 16000) -> tuple[bytes, Resampling]:
    """8 kHz -> `rate`, carrying `state` from one chunk to the next (None to begin)."""
    return audioop.ratecv(pcm, WIDTH, 1, RATE, rate, state)


def frames(pcm: bytes) -> list[bytes]:
    """20 ms frames; the last one padded with silence."""
    chunks = [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]
    if chunks and len(chunks[-1]) < FRAME_BYTES:
        chunks[-1] = chunks[-1].ljust(FRAME_BYTES, b"\0")
    return chunks


def seconds(pcm: bytes) -> float:
    return len(pcm) / (RATE * WIDTH)
