"""The in-process event stream: the seam between packages.

Producers (the call model, the ACD, the IVR) publish frozen dataclasses; consumers
(the ACD, metrics, the console's websockets, the interaction log) each read their own
queue, so a slow consumer never blocks a producer or another consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

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
