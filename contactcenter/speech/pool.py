"""The recognition pool: engine calls run on a few worker threads, never on the event loop,
and at most `max_streams` utterances are open at once. A caller turn that finds the pool
full is told at once (RecognizerBusy) and uses the keypad: nobody waits on a busy recognizer.

Audio is handed to the engine in batches (FEED_BYTES) as it arrives, one job at a time per
utterance, so that when the caller stops only the last batch and the final search remain.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from contactcenter.speech.recognizer import Recognition, Recognizer, RecognizerError, Utterance

log = logging.getLogger(__name__)

FEED_BYTES = 1600  # 100 ms of 8 kHz audio per engine call
T = TypeVar("T")


class RecognizerBusy(RecognizerError):
    """Every recognition slot is taken: use the keypad for this turn."""


class RecognitionPool:
    """`async with RecognitionPool(recognizer, max_streams=8, workers=2)`."""

    def __init__(self, recognizer: Recognizer, *, max_streams: int = 8, workers: int = 2) -> None:
        self.recognizer = recognizer
        self.max_streams = max_streams
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="asr")
        self._open = 0

    @property
    def engine(self) -> str:
        return self.recognizer.name

    @property
    def in_use(self) -> int:
        return self._open

    async def __aenter__(self) -> RecognitionPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def open(self, phrases: Sequence[str] = (), *, free: bool = False) -> Stream:
        """A slot for one utterance, or RecognizerBusy at once. Close it with result() or
        cancel()."""
        if self._open >= self.max_streams:
            raise RecognizerBusy(f"all {self.max_streams} recognition slots are in use")
        self._open += 1
        return Stream(self, tuple(phrases), free)

    def _release(self) -> None:
        self._open -= 1

    async def run(self, call: Callable[..., T], *args: object) -> T:
        """`call(*args)` on one of the pool's threads."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)


class Stream:
    """One utterance on its way through the pool: feed() never blocks, result() waits."""

    def __init__(self, pool: RecognitionPool, phrases: tuple[str, ...], free: bool) -> None:
        self._pool = pool
        self._buffer = bytearray()
        self._closed = False
        self._utterance: Utterance | None = None
        started = asyncio.ensure_future(
            pool.run(functools.partial(pool.recognizer.start, phrases, free=free)))
        started.add_done_callback(self._started)
        # the engine call in flight, if any
        self._job: asyncio.Future[Utterance] | asyncio.Future[None] = started

    def _started(self, job: asyncio.Future[Utterance]) -> None:
        if _succeeded(job):
            self._utterance = job.result()

    def feed(self, pcm: bytes) -> None:
        self._buffer += pcm
        if len(self._buffer) >= FEED_BYTES and _succeeded(self._job):
            self._job = self._feed_next()  # a failed job stays, for result() to raise

    def _feed_next(self, *, last: bool = False) -> asyncio.Future[None]:
        """A job for the buffered audio in FEED_BYTES chunks (the rest waits, unless this is
        the last): the engine always gets the same chunks whatever the timing, and so gives
        the same result (pocketsphinx's cepstral mean moves chunk by chunk)."""
        cut = len(self._buffer) if last else len(self._buffer) - len(self._buffer) % FEED_BYTES
        chunks = [bytes(self._buffer[i:i + FEED_BYTES]) for i in range(0, cut, FEED_BYTES)]
        del self._buffer[:cut]
        return asyncio.ensure_future(self._pool.run(self._feed, chunks))

    def _feed(self, chunks: list[bytes]) -> None:
        if self._utterance is None:
            raise RecognizerError("the engine did not start the utterance")
        for chunk in chunks:
            self._utterance.feed(chunk)

    async def result(self) -> Recognition:
        """Everything fed, the final search: what the caller said. Frees the slot."""
        try:
            await self._job
            if self._buffer:
                await self._feed_next(last=True)
            assert self._utterance is not None
            return await self._pool.run(self._utterance.result)
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Give the slot back without a result (the caller hung up or pressed a key)."""
        if not self._closed:
            self._closed = True
            self._pool._release()
            if not self._job.done():
                self._job.add_done_callback(_consume)


def _succeeded(job: asyncio.Future[Any]) -> bool:  # whatever the job's result
    return job.done() and not job.cancelled() and job.exception() is None


def _consume(job: asyncio.Future[Any]) -> None:
    """An abandoned job's failure is logged, not left to 'exception never retrieved'."""
    with contextlib.suppress(asyncio.CancelledError):
        if job.exception() is not None:
            log.warning("abandoned recognition job failed: %s", job.exception())
