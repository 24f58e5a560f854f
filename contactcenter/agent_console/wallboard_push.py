"""The supervisors' wallboard, pushed over the console's websocket (/ws): no polling.

A supervisor's page sends {"type": "subscribe", "topic": "wallboard"} on its socket; it
gets the whole board at once (so a page that reconnects is whole again), then a new board
after every queue, agent or call change: within COALESCE_S of the first change of a burst.

The cost does not grow with the event rate: however many events arrive within COALESCE_S,
the board is computed once (desk.wallboard(): a few store reads) and serialised once, and
the same text goes to every supervisor; at most 1 / COALESCE_S boards a second (4 at
250 ms) per console process. Without changes a board still goes every REFRESH_S, so
waiting times and the figures' window move on. A socket that takes longer than
SEND_TIMEOUT_S to take a board is closed rather than hold the others back: its page
reconnects and gets a fresh board.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from aiohttp import web

from contactcenter.acd.events import AcdEvent
from contactcenter.health import HealthEvent
from contactcenter.ivr.events import IvrFinished

from .desk import AgentDesk

log = logging.getLogger(__name__)

TOPIC = "wallboard"
COALESCE_S = 0.25
REFRESH_S = 5.0
SEND_TIMEOUT_S = 2.0
class WallboardPusher:
    """Bus consumer (`handle`) and the pushing task (`run`) of one console process."""

    def __init__(self, desk: AgentDesk, *, coalesce_s: float = COALESCE_S,
                 refresh_s: float = REFRESH_S, send_timeout_s: float = SEND_TIMEOUT_S) -> None:
        self._desk = desk
        self.coalesce_s = coalesce_s
        self.refresh_s = refresh_s
        self.send_timeout_s = send_timeout_s
        self.sockets: set[web.WebSocketResponse] = set()
        self.boards_sent = 0  # boards computed and sent (for the benchmark)
        self._changed = asyncio.Event()

    async def handle(self, event: AcdEvent | HealthEvent | IvrFinished) -> None:
        """Bus consumer: every event it reads changes what the board shows."""
        self._changed.set()

    async def subscribe(self, ws: web.WebSocketResponse) -> None:
        """Add a supervisor's socket and send it the whole board now."""
        self.sockets.add(ws)
        await self._send([ws], await self._board())

    def unsubscribe(self, ws: web.WebSocketResponse) -> None:
        self.sockets.discard(ws)

    async def run(self) -> None:
        """Forever: wait for a change (or the refresh), let a burst gather, push one board.
        A board that fails to build is logged and the next change tries again."""
        while True:
            try:  # asyncio.timeout, not wait_for: on 3.11 wait_for may swallow a cancel
                async with asyncio.timeout(self.refresh_s):  # that meets a change
                    await self._changed.wait()
                await asyncio.sleep(self.coalesce_s)
            except TimeoutError:
                pass
            self._changed.clear()
            if not self.sockets:
                continue
            try:
                text = await self._board()
            except Exception:
                log.exception("wallboard: building the board failed; the next change retries")
                continue
            await self._send(list(self.sockets), text)
            self.boards_sent += 1

    async def close(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        self.sockets.clear()

    async def _send_one(self, ws: web.WebSocketResponse, text: str) -> None:
        async with asyncio.timeout(self.send_timeout_s):
            await ws.send_str(text)

    async def _board(self) -> str:
        board = await self._desk.wallboard()
        return json.dumps({"type": TOPIC, "board": board, "at": time.time()}, default=str)

    async def _send(self, sockets: list[web.WebSocketResponse], text: str) -> None:
        """The same text to each socket at once; one closed, failed or too slow is dropped
        (and closed, so its page reconnects)."""
        results = await asyncio.gather(*(self._send_one(ws, text) for ws in sockets),
                                       return_exceptions=True)
        failed = []
        for ws, result in zip(sockets, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("wallboard: push to a supervisor failed (%r); socket dropped",
                            result)
                failed.append(ws)
        self.sockets.difference_update(failed)
        await asyncio.gather(*(_close(ws) for ws in failed))


async def _close(ws: web.WebSocketResponse) -> None:
    """Close a socket that failed; one that does not answer the close is left to die."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            await ws.close()
