"""The in-process event stream: the seam between packages.

Producers (the call model, the ACD, the IVR) publish frozen dataclasses; consumers
(the ACD, metrics, the console's websockets, the interaction log) each read their own
queue, so a slow consumer never blocks a producer or another consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator

from contactcenter.logs import event_context

log = logging.getLogger(__name__)


class EventBus:
    """Fan-out of events to every subscriber's queue; publish never blocks or awaits."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[object]] = set()

    def publish(self, event: object) -> None:
        for queue in self._queues:
            queue.put_nowait(event)

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[object]]:
        """A queue that receives every event published while the block is open."""
        queue: asyncio.Queue[object] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


class BusConsumer:
    """One subscription read by one owned task, for components that live in `async with`.

    Entry subscribes at once (nothing published afterwards is missed); exit lets the task
    handle what was already published, then stops it (cancelled if the exit is). A handler
    that raises is logged and the next event is read.
    """

    def __init__(self, bus: EventBus, handle: Callable[[object], Awaitable[None]], name: str):
        self._bus = bus
        self._handle = handle
        self._name = name
        self._subscription = contextlib.ExitStack()
        self._queue: asyncio.Queue[object] | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BusConsumer:
        self._queue = self._subscription.enter_context(self._bus.subscribe())
        self._task = asyncio.create_task(self._read(self._queue), name=self._name)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._queue is not None and self._task is not None
        self._queue.put_nowait(_STOP)
        try:
            await self._task
        finally:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._subscription.close()

    async def _read(self, queue: asyncio.Queue[object]) -> None:
        """Every event in turn, in the call context of the call it is about (logs.py); one
        that fails is logged with what it was, and the reader goes on (a dead reader would
        leave every later event of its consumer unhandled)."""
        while (event := await queue.get()) is not _STOP:
            with event_context(event):
                try:
                    await self._handle(event)
                except Exception:
                    log.exception("%s: handling %r failed; that event is skipped, the "
                                  "next one read", self._name, event)


_STOP = object()
