"""A speech turn over real TCP: the simulator runs AudioSocket() as Asterisk does (its
frames, its timing, its rules) against the platform's server and listen()."""

from __future__ import annotations

import asyncio
import socket
import uuid

from contactcenter.sim import Speech
from contactcenter.sim.audiosocket import run_audiosocket
from contactcenter.speech.audio import read_pcm
from contactcenter.speech.audiosocket import AUDIO, HANGUP, UUID, AudioSocketServer, encode
from contactcenter.speech.listen import Heard, HungUp, ListenSettings, Pressed, Silence, listen
from contactcenter.speech.pool import RecognitionPool
from contactcenter.speech.sphinx_engine import SphinxRecognizer
from tests.conftest import Speak

PROMPT = b"\x10\x00" * 8000 * 3  # 3 s of a quiet tone-free prompt
QUICK = ListenSettings(no_speech_s=0.5, end_silence_ms=400)



async def turn(answer, sphinx: SphinxRecognizer, *, prompt: bytes = PROMPT,
               settings: ListenSettings = QUICK, hangup_after: float | None = None):
    """One turn: the simulated Asterisk dials the server with the answer scripted."""
    hangup = asyncio.Event()
    async with AudioSocketServer() as server, RecognitionPool(sphinx) as pool:
        call_uuid, linked = server.expect()
        asterisk = asyncio.ensure_future(run_audiosocket(
            f"{call_uuid},127.0.0.1:{server.port}", answer, hangup))
        if hangup_after is not None:
            asyncio.get_running_loop().call_later(hangup_after, hangup.set)
        stream = pool.open(["billing", "technical support", "sales"])
        outcome = await listen(await asyncio.wait_for(linked, 3), prompt, stream, settings)
        run = await asyncio.wait_for(asterisk, 3)
        assert pool.in_use == 0
    return outcome, run


async def test_speech_barges_in_is_recognised_and_the_turn_ends_normally(
        speak: Speak, sphinx: SphinxRecognizer) -> None:
    outcome, run = await turn(Speech(speak("technical support")), sphinx)
    assert isinstance(outcome, Heard) and outcome.recognition.text == "technical support"
    assert run.result == 0  # our hang-up frame: AudioSocket() returns 0, the call goes on
    assert 0 < run.heard_bytes < len(PROMPT) / 2  # the prompt stopped when they spoke
    assert outcome.speech_s > 0.5


async def test_a_caller_who_waits_hears_the_whole_prompt_first(
        speak: Speak, sphinx: SphinxRecognizer) -> None:
    prompt = PROMPT[:8000]  # half a second
    outcome, run = await turn(Speech(speak("billing"), barge_in=False), sphinx, prompt=prompt)
    assert isinstance(outcome, Heard) and outcome.recognition.text == "billing"
    assert run.heard_bytes == len(prompt)


async def test_a_key_ends_the_turn(sphinx: SphinxRecognizer) -> None:
    outcome, run = await turn("2", sphinx)
    assert outcome == Pressed("2") and run.result == 0 and run.keys == "2"


async def test_silence_after_the_prompt_is_no_input(sphinx: SphinxRecognizer) -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()
    outcome, run = await turn(None, sphinx, prompt=PROMPT[:3200])
    assert outcome == Silence() and run.result == 0
    assert 0.6 <= loop.time() - began < 2.0  # 0.2 s of prompt + 0.5 s of silence


async def test_a_caller_hanging_up_mid_turn(speak: Speak, sphinx: SphinxRecognizer) -> None:
    outcome, run = await turn(None, sphinx, hangup_after=0.3)
    assert outcome == HungUp() and run.result == -1


async def test_asterisk_refuses_anything_but_audio_and_hangup(unused_port: int) -> None:
    """What app_audiosocket.c does with a frame kind it does not accept: -1."""
    server = socket.create_server(("127.0.0.1", unused_port))

    async def serve() -> None:
        conn, _ = await asyncio.to_thread(server.accept)
        with conn:
            assert (await asyncio.to_thread(conn.recv, 19))[0] == UUID
            conn.sendall(encode(AUDIO, b"\0" * 320) + encode(UUID, b"x" * 16))
            await asyncio.sleep(0.2)

    with server:
        serving = asyncio.ensure_future(serve())
        run = await run_audiosocket(f"{uuid.uuid4()},127.0.0.1:{unused_port}", None,
                                    asyncio.Event())
        await serving
    assert (run.result, run.heard_bytes) == (-1, 320)


async def test_bad_arguments_and_no_server_fail_like_asterisk(unused_port: int) -> None:
    hangup = asyncio.Event()
    assert (await run_audiosocket("not-a-uuid,127.0.0.1:9", None, hangup)).result == -1
    assert (await run_audiosocket(f"{uuid.uuid4()},nowhere", None, hangup)).result == -1
    closed = await run_audiosocket(f"{uuid.uuid4()},127.0.0.1:{unused_port}", None, hangup)
    assert closed.result == -1


async def test_a_connection_nobody_expects_is_hung_up() -> None:
    async with AudioSocketServer() as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(encode(UUID, uuid.uuid4().bytes))
        assert await reader.readexactly(3) == encode(HANGUP)
        assert await reader.read() == b""
        writer.close()


def test_prompt_audio_is_read_as_8khz_pcm(speak: Speak) -> None:
    assert len(read_pcm(speak("hello"))) > 3200
