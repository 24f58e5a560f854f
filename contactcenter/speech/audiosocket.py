"""The platform's AudioSocket server: Asterisk's AudioSocket() application connects here for
one caller turn, sends the call's UUID, then the caller's audio (8 kHz signed-linear, 20 ms
frames) and their keys, and plays back whatever audio we send, until we send a hang-up frame
(its name notwithstanding, the application then returns 0 and the dialplan - or the AGI
EXEC that started it - goes on) or close the socket.

Protocol (Asterisk 20, res_audiosocket.c): a 3-byte header, kind (1 byte) and payload length
(2 bytes, big-endian), then the payload. Asterisk sends UUID (0x01, 16 bytes), audio (0x10),
DTMF (0x03, one ASCII digit) and error (0xff); it accepts only audio and hang-up (0x00): any
other kind from us ends the application with an error, so nothing else is ever sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import uuid as uuidlib
from dataclasses import dataclass

from contactcenter.speech.audio import FRAME_BYTES

log = logging.getLogger(__name__)

HANGUP, UUID, DTMF, AUDIO, ERROR = 0x00, 0x01, 0x03, 0x10, 0xFF
HEADER = struct.Struct("!BH")
UUID_SECONDS = 5.0  # a connection that does not say which call it is, is dropped


@dataclass(frozen=True)
class Frame:
    kind: int
    payload: bytes = b""


def encode(kind: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


async def read_frame(reader: asyncio.StreamReader) -> Frame | None:
    """The next frame; None when the peer closed (mid-frame too)."""
    try:
        kind, length = HEADER.unpack(await reader.readexactly(HEADER.size))
        return Frame(kind, await reader.readexactly(length) if length else b"")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


class AudioLink:
    """One AudioSocket connection: the caller's frames in, prompt audio out."""

    def __init__(self, call_uuid: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.uuid = call_uuid
        self._reader, self._writer = reader, writer
        self.closed = asyncio.Event()

    async def receive(self) -> Frame | None:
        return None if self.closed.is_set() else await read_frame(self._reader)

    async def send_audio(self, pcm: bytes) -> None:
        if not self.closed.is_set():
            for i in range(0, len(pcm), FRAME_BYTES):
                self._writer.write(encode(AUDIO, pcm[i:i + FRAME_BYTES]))
            await self._writer.drain()

    async def hang_up(self) -> None:
        """End the application (the call goes on) and close."""
        if self.closed.is_set():
            return
        self.closed.set()
        with contextlib.suppress(ConnectionError):
            self._writer.write(encode(HANGUP))
            await self._writer.drain()
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


class AudioSocketServer:
    """Hands each connection to whoever `expect()`ed its UUID; unknown UUIDs are hung up."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 uuid_seconds: float = UUID_SECONDS) -> None:
        self._host, self._port, self._uuid_seconds = host, port, uuid_seconds
        self._server: asyncio.Server | None = None
        self._expected: dict[str, asyncio.Future[AudioLink]] = {}
        self._links: set[AudioLink] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def __aenter__(self) -> AudioSocketServer:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for link in list(self._links):
            await link.hang_up()
        await self._server.wait_closed()

    def expect(self) -> tuple[str, asyncio.Future[AudioLink]]:
        """A fresh UUID for AudioSocket(), and the link once Asterisk connects with it.
        Call forget() when giving up on it."""
        call_uuid = str(uuidlib.uuid4())
        self._expected[call_uuid] = asyncio.get_running_loop().create_future()
        return call_uuid, self._expected[call_uuid]

    def forget(self, call_uuid: str) -> None:
        future = self._expected.pop(call_uuid, None)
        if future is not None and not future.done():
            future.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            first = await asyncio.wait_for(read_frame(reader), self._uuid_seconds)
        except TimeoutError:
            first = None
        call_uuid = str(uuidlib.UUID(bytes=first.payload)) \
            if first is not None and first.kind == UUID and len(first.payload) == 16 else ""
        waiting = self._expected.pop(call_uuid, None)
        link = AudioLink(call_uuid, reader, writer)
        if waiting is None or waiting.done():
            log.warning("AudioSocket from %s: %s; hung up", peer,
                        f"no turn expects {call_uuid}" if call_uuid else "no UUID frame first")
            await link.hang_up()
            return
        self._links.add(link)
        waiting.set_result(link)
        try:
            await link.closed.wait()  # the turn owns the link until it hangs up
        finally:
            self._links.discard(link)
