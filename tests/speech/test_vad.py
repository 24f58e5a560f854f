"""The endpointer's timing rules on plain frames, and WebRTC's detector on real audio."""

from __future__ import annotations

from pathlib import Path

from contactcenter.speech.audio import frames, read_pcm
from contactcenter.speech.vad import Endpointer, Turn, VoiceDetector
from tests.conftest import Speak


def push_all(ends: Endpointer, pattern: list[bool]) -> list[tuple[int, Turn]]:
    """(frame index, event) for each event the frames produce."""
    found = []
    for i, speech in enumerate(pattern):
        turn = ends.push(speech)
        if turn is not None:
            found.append((i, turn))
    return found


def test_speech_starts_after_100_ms_and_ends_after_the_trailing_silence() -> None:
    ends = Endpointer(end_silence_ms=200)
    events = push_all(ends, [False] * 3 + [True] * 10 + [False] * 20)
    assert events == [(7, Turn.STARTED), (22, Turn.ENDED)]  # 5th speech frame; 10th silent


def test_a_click_is_not_speech_and_short_pauses_do_not_end_the_turn() -> None:
    ends = Endpointer(end_silence_ms=200)
    assert push_all(ends, [True, False, False, False, False, True, False]) == []
    events = push_all(ends, [True] * 6 + [False] * 5 + [True] * 6 + [False] * 10)
    assert [turn for _, turn in events] == [Turn.STARTED, Turn.ENDED]
    assert events[1][0] == 6 + 5 + 6 + 9


def test_no_speech_before_the_timeout_and_nothing_after_the_end() -> None:
    ends = Endpointer(no_speech_ms=400)
    assert push_all(ends, [False] * 30) == [(19, Turn.NO_SPEECH)]
    assert ends.push(True) is None and not ends.speaking


def test_a_caller_who_never_stops_is_cut_at_the_longest_turn() -> None:
    ends = Endpointer(max_speech_ms=1000)
    events = push_all(ends, [True] * 100)
    assert events == [(4, Turn.STARTED), (54, Turn.ENDED)]


def test_webrtc_hears_espeak_and_not_silence(speak: Speak) -> None:
    detector = VoiceDetector()
    speech = frames(read_pcm(speak("technical support")))
    assert sum(map(detector.is_speech, speech)) > len(speech) // 2
    assert not any(detector.is_speech(b"\0" * 320) for _ in range(50))


def test_frames_are_20_ms_and_the_last_is_padded(tmp_path: Path) -> None:
    chunks = frames(b"\1\0" * 170)
    assert [len(c) for c in chunks] == [320, 320] and chunks[1].endswith(b"\0" * 300)
