"""The recognition pool: engine calls on worker threads, at most max_streams at once, a
full pool says so at once, and slots come back whatever happened to the utterance."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from contactcenter.speech.audio import read_pcm
from contactcenter.speech.pool import RecognitionPool, RecognizerBusy
from contactcenter.speech.recognizer import RecognizerError, Utterance
from contactcenter.speech.sphinx_engine import SphinxRecognizer
from tests.conftest import Speak


class Watched:
    """The real engine, noting the threads it is called on."""

    name = "watched"

    def __init__(self, engine: SphinxRecognizer) -> None:
        self.engine = engine
        self.threads: set[int] = set()

    def start(self, phrases: Sequence[str] = (), *, free: bool = False) -> Utterance:
        self.threads.add(threading.get_ident())
        utterance = self.engine.start(phrases, free=free)
        watched = self

        class Noted:
            def feed(self, pcm: bytes) -> None:
                watched.threads.add(threading.get_ident())
                utterance.feed(pcm)

            def result(self):  # type: ignore[no-untyped-def]
                watched.threads.add(threading.get_ident())
                return utterance.result()
        return Noted()


class Broken:
    name = "broken"

    def start(self, phrases: Sequence[str] = (), *, free: bool = False) -> Utterance:
        raise RecognizerError("model gone")



async def test_engine_calls_run_off_the_event_loop(speak: Speak,
                                                   sphinx: SphinxRecognizer) -> None:
    engine = Watched(sphinx)
    async with RecognitionPool(engine, max_streams=2, workers=2) as pool:
        stream = pool.open(["billing", "sales"])
        pcm = read_pcm(speak("billing"))
        for i in range(0, len(pcm), 320):
            stream.feed(pcm[i:i + 320])
        assert (await stream.result()).text == "billing"
    assert engine.threads and threading.get_ident() not in engine.threads


async def test_a_full_pool_is_busy_at_once_and_frees_slots(sphinx: SphinxRecognizer) -> None:
    async with RecognitionPool(sphinx, max_streams=2) as pool:
        first, second = pool.open(["billing"]), pool.open(["sales"])
        with pytest.raises(RecognizerBusy):
            pool.open(["support"])
        first.cancel()
        first.cancel()  # twice is once
        third = pool.open(["support"])
        await second.result()
        assert pool.in_use == 1
        third.cancel()
        assert pool.in_use == 0


async def test_an_engine_failure_surfaces_at_the_result_and_frees_the_slot() -> None:
    async with RecognitionPool(Broken(), max_streams=1) as pool:
        stream = pool.open(["billing"])
        stream.feed(b"\0" * 3200)
        stream.feed(b"\0" * 3200)
        with pytest.raises(RecognizerError, match="model gone"):
            await stream.result()
        assert pool.in_use == 0
