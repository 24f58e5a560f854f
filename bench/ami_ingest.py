"""AMI ingest benchmark: the real Asterisk 20 transcript's server bytes, replayed many times
over loopback, into (a) our AmiBridge (frames -> call model -> bus) and (b) bare panoramisk
1.4 parsing and dispatching the same bytes, in the same run.

    .venv/bin/python bench/ami_ingest.py [--repeat 400] [--rounds 3] [--json]

Prints events_per_s (ours), bare_events_per_s and overhead_ratio (our time / bare time);
best of --rounds for each. Goal: >= 20,000 events/s and overhead <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panoramisk import Manager  # noqa: E402

from contactcenter.config import AmiConfig  # noqa: E402
from contactcenter.cti.bridge import AmiBridge  # noqa: E402
from contactcenter.cti.transcript import received_bytes  # noqa: E402
from contactcenter.events import EventBus  # noqa: E402

TRANSCRIPT = Path(__file__).resolve().parent.parent / "tests/fixtures/asterisk-20/ami-transcript.log"
BANNER = b"Asterisk Call Manager/9.0.0\r\n"
DONE = b"Event: BenchDone\r\n\r\n"


class ReplayServer:
    """Answers any action with Success (CoreShowChannels with an empty list); on `Ping` it
    writes the payload `repeat` times, then a BenchDone event."""

    def __init__(self, payload: bytes, repeat: int) -> None:
        self.payload, self.repeat = payload, repeat
        self.port = 0
        self.open = 0
        self._idle = asyncio.Event()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def drained(self) -> None:
        """Until every client connection has ended."""
        await self._idle.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self._idle.clear()
        try:
            await self._answer(reader, writer)
        finally:
            self.open -= 1
            if not self.open:
                self._idle.set()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        buffer = b""
        while data := await reader.read(65536):
            buffer += data
            while b"\r\n\r\n" in buffer:
                block, buffer = buffer.split(b"\r\n\r\n", 1)
                headers = dict(line.split(": ", 1) for line in block.decode().split("\r\n")
                               if ": " in line)
                aid = headers.get("ActionID", "")
                action = headers.get("Action", "")
                if action == "CoreShowChannels":
                    writer.write(f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\n"
                                 f"\r\nEvent: CoreShowChannelsComplete\r\nActionID: {aid}\r\n"
                                 f"EventList: Complete\r\nListItems: 0\r\n\r\n".encode())
                elif action == "Logoff":
                    writer.write(f"Response: Goodbye\r\nActionID: {aid}\r\n\r\n".encode())
                    writer.close()
                    return
                else:
                    writer.write(f"Response: Success\r\nActionID: {aid}\r\n\r\n".encode())
                if action == "Ping":
                    for _ in range(self.repeat):
                        writer.write(self.payload)
                        await writer.drain()
                    writer.write(DONE)
        writer.close()


async def ours(server: ReplayServer) -> float:
    """Seconds from the trigger until the bridge has fed everything to the model and bus."""
    bus = EventBus()
    async with AmiBridge(AmiConfig(port=server.port, secret="x", action_timeout=30),
                         bus) as bridge:
        manager = bridge._manager
        assert manager is not None
        done = asyncio.get_running_loop().create_future()
        manager.register_event("BenchDone", lambda _m, _e: done.set_result(time.perf_counter()))
        with bus.subscribe():
            start = time.perf_counter()
            await manager.action({"Action": "Ping"})
            end = await done
    await server.drained()
    return end - start


async def bare(server: ReplayServer) -> float:
    """The same bytes through a bare panoramisk Manager with one catch-all callback."""
    loop = asyncio.get_running_loop()
    logged_in = loop.create_future()
    manager = Manager(host="127.0.0.1", port=server.port, username="cc", secret="x",
                      ping_delay=3600, reconnect_timeout=3600, loop=loop,
                      on_login=lambda _m: logged_in.set_result(None))
    manager.callbacks.clear()
    manager.patterns.clear()
    done = loop.create_future()
    manager.register_event("*", lambda _m, _e: None)
    manager.register_event("BenchDone", lambda _m, _e: done.set_result(time.perf_counter()))
    await manager.connect()
    await logged_in
    start = time.perf_counter()
    manager.send_action({"Action": "Ping"})
    end = await done
    manager.close()
    await server.drained()
    return end - start


async def run(repeat: int, rounds: int) -> dict[str, float]:
    payload = received_bytes(TRANSCRIPT)
    payload = payload[len(BANNER):] if payload.startswith(BANNER) else payload
    events = sum(1 for frame in payload.split(b"\r\n\r\n") if frame.startswith(b"Event: "))
    server = ReplayServer(payload, repeat)
    await server.start()
    try:
        our_time = min([await ours(server) for _ in range(rounds)])
        bare_time = min([await bare(server) for _ in range(rounds)])
    finally:
        await server.close()
    total = events * repeat
    return {
        "events": total,
        "events_per_s": round(total / our_time),
        "bare_events_per_s": round(total / bare_time),
        "overhead_ratio": round(our_time / bare_time, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=400, help="transcript replays per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args.repeat, args.rounds))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
