"""One caller turn over an AudioSocket link: the prompt streams to the caller in real time
while their audio goes through the voice detector; speech stops the prompt (barge-in) and
goes to the recogniser, a key ends the turn, silence ends it as no input.

The outcome is one of Heard (the recognition), Pressed (a key), Silence, HungUp or Failed
(the recogniser failed or took too long: the IVR falls back to the keypad).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass

from contactcenter.speech.audio import FRAME_SECONDS, frames, seconds
from contactcenter.speech.audiosocket import AUDIO, DTMF, ERROR, AudioLink
from contactcenter.speech.pool import Stream
from contactcenter.speech.recognizer import Recognition, RecognizerError
from contactcenter.speech.vad import Endpointer, Turn, VoiceDetector

log = logging.getLogger(__name__)

PRE_ROLL_FRAMES = 15  # 300 ms before the detector was sure: the first syllable
SILENT_LINK_SECONDS = 2.0  # Asterisk sends a frame every 20 ms; 2 s of nothing: link lost


@dataclass(frozen=True)
class ListenSettings:
    no_speech_s: float = 5.0  # after the prompt ended
    end_silence_ms: int = 700
    max_speech_s: float = 15.0
    result_s: float = 2.0  # the longest wait for the recogniser once the caller stopped
    barge_in: bool = True
    vad_aggressiveness: int = 2


@dataclass(frozen=True)
class Heard:
    recognition: Recognition
    speech_s: float  # how long the caller spoke
    result_ms: float  # end of speech -> result


@dataclass(frozen=True)
class Pressed:
    key: str


@dataclass(frozen=True)
class Silence:
    pass


@dataclass(frozen=True)
class HungUp:
    pass


@dataclass(frozen=True)
class Failed:
    reason: str


Outcome = Heard | Pressed | Silence | HungUp | Failed


async def listen(link: AudioLink, prompt: bytes, stream: Stream,
                 settings: ListenSettings | None = None) -> Outcome:
    """Run the turn and hang the link up (the call goes on in the dialplan). The stream's
    slot is freed whatever happens."""
    stop_prompt = asyncio.Event()
    player = asyncio.create_task(_play(link, prompt, stop_prompt), name="prompt")
    try:
        return await _hear(link, stream, seconds(prompt), stop_prompt,
                           settings or ListenSettings())
    finally:
        stream.cancel()
        stop_prompt.set()
        with contextlib.suppress(ConnectionError):
            await player
        await link.hang_up()


async def _play(link: AudioLink, prompt: bytes, stop: asyncio.Event) -> None:
    """The prompt at the pace a phone plays it (Asterisk writes our frames to the channel as
    they come: faster would overrun the caller's jitter buffer), until told to stop."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n, frame in enumerate(frames(prompt)):
        if stop.is_set():
            return
        await link.send_audio(frame)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, start + (n + 1) * FRAME_SECONDS
                                                    - loop.time()))


async def _hear(link: AudioLink, stream: Stream, prompt_s: float, stop_prompt: asyncio.Event,
                settings: ListenSettings) -> Outcome:
    detector = VoiceDetector(settings.vad_aggressiveness)
    ends = Endpointer(no_speech_ms=int((prompt_s + settings.no_speech_s) * 1000),
                      end_silence_ms=settings.end_silence_ms,
                      max_speech_ms=int(settings.max_speech_s * 1000))
    recent: deque[bytes] = deque(maxlen=PRE_ROLL_FRAMES)
    spoken = 0.0
    while True:
        try:
            frame = await asyncio.wait_for(link.receive(), SILENT_LINK_SECONDS)
        except TimeoutError:
            return Failed("no audio from Asterisk for 2 s")
        if frame is None:
            return HungUp()
        if frame.kind == DTMF:
            return Pressed(frame.payload.decode("ascii", errors="replace")[:1])
        if frame.kind == ERROR:
            return Failed(f"Asterisk reported an AudioSocket error {frame.payload!r}")
        if frame.kind != AUDIO or len(frame.payload) % 2:
            continue
        turn = ends.push(detector.is_speech(frame.payload))
        if turn is Turn.STARTED:
            if settings.barge_in:
                stop_prompt.set()
            for earlier in recent:
                stream.feed(earlier)
        if ends.speaking or turn is Turn.ENDED:
            stream.feed(frame.payload)
            spoken += seconds(frame.payload)
        else:
            recent.append(frame.payload)
        if turn is Turn.NO_SPEECH:
            return Silence()
        if turn is Turn.ENDED:
            return await _result(stream, spoken, settings)


async def _result(stream: Stream, spoken: float, settings: ListenSettings) -> Outcome:
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        recognition = await asyncio.wait_for(stream.result(), settings.result_s)
    except TimeoutError:
        return Failed(f"the recogniser took over {settings.result_s:.1f} s")
    except Exception as exc:  # any engine failure: the caller gets the keypad, not silence
        log.warning("recognition failed: %s", exc, exc_info=not isinstance(exc, RecognizerError))
        return Failed(str(exc) or type(exc).__name__)
    return Heard(recognition, spoken, (loop.time() - began) * 1000)
