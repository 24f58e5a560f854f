"""Voice activity: which 20 ms frames hold speech (WebRTC's detector), and the endpointer
that turns those yes/no frames into a caller's turn: speech started (the prompt stops:
barge-in), speech ended (enough trailing silence: recognise now), or no speech at all.

The endpointer is pure (booleans in, events out) so every timing rule is tested with plain
lists; webrtcvad is the thin edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from contactcenter.speech.audio import FRAME_SECONDS, RATE

try:
    import webrtcvad
except ImportError:  # pragma: no cover - a dependency; the error says what to install
    webrtcvad = None


class Turn(Enum):
    STARTED = "started"  # the caller began to speak: stop the prompt, start recognising
    ENDED = "ended"  # the caller finished (trailing silence, or the longest turn allowed)
    NO_SPEECH = "no_speech"  # nothing said before the no-speech timeout


@dataclass
class Endpointer:
    """Frame by frame: `push(is_speech)` returns the event that frame completes, if any.

    Speech starts after `start_ms` of speech within the last `start_window_ms` (a click or a
    cough is not a caller speaking); it ends after `end_silence_ms` of silence, or after
    `max_speech_ms`. No start within `no_speech_ms` (count the prompt in: callers answer
    after hearing it) is NO_SPEECH. After ENDED or NO_SPEECH it returns nothing more."""

    no_speech_ms: int = 5000
    end_silence_ms: int = 700
    max_speech_ms: int = 15000
    start_ms: int = 100
    start_window_ms: int = 200
    frame_ms: int = int(FRAME_SECONDS * 1000)
    _recent: list[bool] = field(default_factory=list)
    _elapsed: int = 0
    _speech_at: int | None = None
    _silence: int = 0
    _done: bool = False

    @property
    def speaking(self) -> bool:
        return self._speech_at is not None and not self._done

    def push(self, is_speech: bool) -> Turn | None:
        if self._done:
            return None
        self._elapsed += self.frame_ms
        if self._speech_at is None:
            self._recent = (self._recent + [is_speech])[-(self.start_window_ms // self.frame_ms):]
            if sum(self._recent) * self.frame_ms >= self.start_ms:
                self._speech_at = self._elapsed
                return Turn.STARTED
            if self._elapsed >= self.no_speech_ms:
                self._done = True
                return Turn.NO_SPEECH
            return None
        self._silence = 0 if is_speech else self._silence + self.frame_ms
        if self._silence >= self.end_silence_ms or \
                self._elapsed - self._speech_at >= self.max_speech_ms:
            self._done = True
            return Turn.ENDED
        return None


class VoiceDetector:
    """WebRTC's voice activity detector on 20 ms frames of 8 kHz audio. `aggressiveness`
    0..3: higher calls less noise speech."""

    def __init__(self, aggressiveness: int = 2) -> None:
        if webrtcvad is None:
            raise RuntimeError("webrtcvad is not installed (pip install webrtcvad-wheels)")
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: bytes) -> bool:
        return self._vad.is_speech(frame, RATE)
