"""Speech turns on a call: how a FastAGI session hands the caller's audio to the recogniser.

For a prompt the caller may answer by voice, the session runs `EXEC AudioSocket
<uuid>,<host:port>`: Asterisk connects to the platform's AudioSocket server (any host; only
TCP between them), which streams the prompt to the caller and the caller's audio to the
recogniser, stops the prompt when they speak, and hangs the socket up when the turn is
over; the EXEC then returns and the AGI goes on. A busy recogniser, a missing
app_audiosocket (EXEC answers -2) or a failed connection, a failed or slow recognition:
the turn falls back to the keypad (GET DATA), and an open question to its key menu.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from pathlib import Path

from contactcenter.ivr.fastagi import AgiHangup, AgiReply, AgiSession, quote
from contactcenter.ivr.interpreter import Ask, Result
from contactcenter.speech.audio import read_pcm
from contactcenter.speech.audiosocket import AudioSocketServer
from contactcenter.speech.errors import SpeechError
from contactcenter.speech.listen import Failed, Heard, HungUp, ListenSettings, Pressed, listen
from contactcenter.speech.pool import RecognitionPool, RecognizerBusy

log = logging.getLogger(__name__)

CONNECT_SECONDS = 3.0  # Asterisk's own connect timeout is 2 s (res_audiosocket.c)
KEYPAD = object()  # the turn could not be heard: use the keypad


@functools.lru_cache(maxsize=256)
def prompt_audio(path: str) -> bytes:
    """A rendered prompt's samples (streamed to the caller over the socket, so the prompt
    files need not be on the Asterisk host)."""
    return read_pcm(f"{path}.wav")


class VoiceTurns:
    """Listens on calls: a recognition pool, the AudioSocket server, and the address
    Asterisk dials to reach it (`[speech] audiosocket_advertise` and the bound port)."""

    def __init__(self, pool: RecognitionPool, server: AudioSocketServer, address: str, *,
                 settings: ListenSettings | None = None) -> None:
        self.pool = pool
        self.server = server
        self.address = address
        self.settings = settings or ListenSettings()

    async def hear(self, session: AgiSession, ask: Ask, prompt: Path) -> Result | object:
        """What the caller answered: a Recognition, a key, None for silence, or KEYPAD."""
        channel = session.env.get("agi_channel")
        try:
            audio = await asyncio.to_thread(prompt_audio, str(prompt))
            stream = self.pool.open(ask.phrases, free=ask.free)
        except (SpeechError, RecognizerBusy) as exc:
            log.info("%s: %s; keys only for this turn", channel, exc)
            return KEYPAD
        call_uuid, linked = self.server.expect()
        command = asyncio.ensure_future(session.command(
            f"EXEC AudioSocket {quote(f'{call_uuid},{self.address}')}"))
        try:
            await asyncio.wait((linked, command), timeout=CONNECT_SECONDS,
                               return_when=asyncio.FIRST_COMPLETED)
            if not linked.done():
                stream.cancel()
                self.server.forget(call_uuid)
                reply = await command
                log.warning("%s: AudioSocket did not connect (%s); keys instead", channel,
                            reply.text)
                return KEYPAD
            settings = dataclasses.replace(self.settings, no_speech_s=ask.timeout_ms / 1000)
            try:
                outcome = await listen(linked.result(), audio, stream, settings)
            except Exception as exc:  # a fault of ours: this turn on keys, the call goes on
                log.exception("%s: speech turn failed", channel)
                outcome = Failed(repr(exc))
        finally:
            stream.cancel()
            self.server.forget(call_uuid)
            if linked.done() and not linked.cancelled():
                await linked.result().hang_up()  # else Asterisk stays in AudioSocket()
            await self._finish(command)
        return self._answer(session, outcome)

    @staticmethod
    async def _finish(command: asyncio.Future[AgiReply]) -> None:
        """The EXEC's reply: once the socket is hung up Asterisk answers at once. Waiting
        for it keeps the AGI's replies in step with its commands."""
        done, _ = await asyncio.wait({command}, timeout=CONNECT_SECONDS)
        if not done:
            command.cancel()
            raise AgiHangup("Asterisk did not end AudioSocket(); giving up on the call")
        command.result()  # AgiHangup if the caller left meanwhile

    def _answer(self, session: AgiSession, outcome: object) -> Result | object:
        if isinstance(outcome, Heard):
            log.info("%s heard %r (%.2f) %.0f ms after speech", session.env.get("agi_channel"),
                     outcome.recognition.text, outcome.recognition.confidence,
                     outcome.result_ms)
            return outcome.recognition
        if isinstance(outcome, Pressed):
            return outcome.key
        if isinstance(outcome, HungUp):
            raise AgiHangup("caller hung up during a speech turn")
        if isinstance(outcome, Failed):
            log.warning("%s: speech turn failed (%s); keys instead",
                        session.env.get("agi_channel"), outcome.reason)
            return KEYPAD
        return None  # Silence
