"""Which prompts 'exist' for the simulated Asterisk: a missing one makes STREAM FILE answer
``result=-1 endpos=0`` and GET DATA ``result=-1`` (fastagi-transcript.log)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

AUDIO_EXTENSIONS = ("wav", "WAV", "gsm", "ulaw", "alaw", "sln", "sln16", "g722", "mp3")
# A few of Asterisk's stock core sounds, enough for the fixture flow and the demo.
STOCK_SOUNDS = frozenset({
    "beep", "queue-thereare", "queue-callswaiting", "queue-holdtime", "queue-thankyou",
    "pls-hold-while-try", "hello-world", "goodbye", "vm-goodbye", "agent-pass", "silence/1",
    "auth-thankyou", "invalid", "please-try-again", "transfer", "one-moment-please",
    *(f"digits/{n}" for n in range(10)),
})


@dataclass(frozen=True)
class SoundLibrary:
    """Stock names plus real files: absolute paths or names under ``directories``, any of
    Asterisk's audio extensions (Asterisk picks the format itself, so names carry none)."""

    names: frozenset[str] = STOCK_SOUNDS
    directories: tuple[Path, ...] = ()

    def find(self, name: str) -> Path | None:
        """The file behind ``name`` on disk, if there is one."""
        bases = [Path(name)] if Path(name).is_absolute() else [d / name for d in self.directories]
        for base in bases:
            for candidate in (base, *(base.with_name(f"{base.name}.{ext}") for ext in AUDIO_EXTENSIONS)):
                if candidate.is_file():
                    return candidate
        return None

    def exists(self, name: str) -> bool:
        return name in self.names or self.find(name) is not None

    def samples(self, name: str) -> int:
        """A plausible ``endpos`` (8 kHz samples) for a complete playback."""
        path = self.find(name)
        return max(path.stat().st_size // 2, 1) if path else 16000
