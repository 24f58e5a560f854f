"""AudioSocket() as Asterisk 20 runs it (app_audiosocket.c, res_audiosocket.c), for the
simulated caller: connect to ``host:port`` (2 s), send the UUID, then a 20 ms frame of the
caller's audio every 20 ms (their scripted speech in real time, silence otherwise) and their
keys as DTMF frames; play back the audio the server sends. The application returns 0 when
the server sends a hang-up frame or closes, -1 on a bad UUID, a failed connection, a frame
kind it does not accept, or the caller hanging up.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import uuid as uuidlib
import wave
from collections.abc import Callable
from dataclasses import dataclass

from contactcenter.sim.scenario import Answer, Speech

HANGUP, UUID, DTMF, AUDIO = 0x00, 0x01, 0x03, 0x10
HEADER = struct.Struct("!BH")
FRAME = 320  # 20 ms of 8 kHz signed linear
TICK = 0.02
CONNECT_SECONDS = 2.0  # MAX_CONNECT_TIMEOUT_MSEC
PROMPT_GAP = 0.2  # the server sent no audio for this long: its prompt is over


@dataclass
class AudioSocketRun:
    """What one AudioSocket() did: its result, and how much prompt the caller heard."""

    result: int = 0
    heard_bytes: int = 0
    keys: str = ""


def speech_samples(speech: Speech) -> bytes:
    with wave.open(str(speech.audio)) as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (8000, 1, 2):
            raise ValueError(f"{speech.audio}: AudioSocket carries 8 kHz mono 16-bit")
        return wav.readframes(wav.getnframes())


def split_address(service: str) -> tuple[str, int] | None:
    """``host:port`` or ``[v6]:port`` as ast_sockaddr_resolve reads them (port required)."""
    host, sep, port = service.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


async def run_audiosocket(data: str, answer: Answer, hangup: asyncio.Event, *,
                          think_seconds: float = 0.0) -> AudioSocketRun:
    """One AudioSocket(uuid,host:port) on an answered channel."""
    run = AudioSocketRun()
    call_uuid, _, service = data.partition(",")
    address = split_address(service)
    try:
        raw_uuid = uuidlib.UUID(call_uuid.strip()).bytes
    except ValueError:
        raw_uuid = None
    if raw_uuid is None or address is None:
        run.result = -1
        return run
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(*address),
                                                CONNECT_SECONDS)
    except (OSError, TimeoutError):
        run.result = -1
        return run
    try:
        writer.write(HEADER.pack(UUID, 16) + raw_uuid)
        await writer.drain()
        last_prompt = asyncio.get_running_loop().time()
        done = asyncio.Event()

        async def listen() -> None:
            nonlocal last_prompt
            try:
                while True:
                    kind, length = HEADER.unpack(await reader.readexactly(HEADER.size))
                    if kind == HANGUP:
                        return
                    payload = await reader.readexactly(length) if length else b""
                    if kind != AUDIO or not length:
                        run.result = -1  # "Received AudioSocket message other than ..."
                        return
                    run.heard_bytes += len(payload)
                    last_prompt = asyncio.get_running_loop().time()
            except (asyncio.IncompleteReadError, ConnectionError):
                return  # the server closed: a normal exit
            finally:
                done.set()

        listener = asyncio.ensure_future(listen())
        try:
            await _speak(writer, answer, think_seconds, run, done, hangup,
                         lambda: last_prompt)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        if hangup.is_set():
            run.result = -1  # ast_read() failed: the channel hung up
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return run


async def _speak(writer: asyncio.StreamWriter, answer: Answer, think_seconds: float,
                 run: AudioSocketRun, done: asyncio.Event, hangup: asyncio.Event,
                 last_prompt: Callable[[], float]) -> None:
    """Frames every 20 ms until the server ends the turn or the caller hangs up: silence,
    then (after thinking, and after the prompt unless they barge in) the answer."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    speech = speech_samples(answer) if isinstance(answer, Speech) else b""
    keys = answer if isinstance(answer, str) else ""
    began: float | None = None
    tick = 0
    while not done.is_set() and not hangup.is_set():
        now = loop.time()
        if began is None and now - start >= think_seconds and (
                not isinstance(answer, Speech) or answer.barge_in
                or now - last_prompt() >= PROMPT_GAP):
            began = now
        frame = b"\0" * FRAME
        if began is not None and keys:
            writer.write(HEADER.pack(DTMF, 1) + keys[0].encode())
            run.keys += keys[0]
            keys = keys[1:]
        elif began is not None and speech:
            frame, speech = speech[:FRAME].ljust(FRAME, b"\0"), speech[FRAME:]
        writer.write(HEADER.pack(AUDIO, FRAME) + frame)
        try:
            await writer.drain()
        except ConnectionError:
            return
        tick += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), max(0.0, start + tick * TICK - loop.time()))
