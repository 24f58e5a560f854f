"""The in-process event stream: the seam between packages.

Producers (the call model, the ACD, the IVR, the CRM link, any part reporting its health)
publish frozen dataclasses, each producer's in its own events module with a union of them
all (CtiEvent, AcdEvent ...); Event is every event there is. Consumers each read their own
queue, so a slow consumer never blocks a producer or another consumer, and each reads only
the events its handler's annotation names (a class or a union), matched exhaustively: an
event added to a union fails type checking in every consumer of that union that does not
handle it (docs/architecture.md, "Events").

The events modules hold values only (dataclasses, enums), so every part may import them.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, Self, TypeVar

from contactcenter.acd.events import AcdEvent
from contactcenter.crm_link.events import CrmLinkEvent
from contactcenter.cti.events import CtiEvent
from contactcenter.health import HealthEvent
from contactcenter.ivr.events import IvrEvent
from contactcenter.logs import event_context

log = logging.getLogger(__name__)

Event = CtiEvent | AcdEvent | IvrEvent | CrmLinkEvent | HealthEvent
E = TypeVar("E")


class EventBus:
    """Fan-out of events to every subscriber's queue; publish never blocks or awaits."""

    def __init__(self) -> None:
        # each queue with the event types (a class or a union) it reads
        self._queues: dict[asyncio.Queue[Any], Any] = {}

    def publish(self, event: Event) -> None:
        for queue, reads in self._queues.items():
            if isinstance(event, reads):
                queue.put_nowait(event)

    @contextlib.contextmanager
    def subscribe(self, reads: Any = object) -> Iterator[asyncio.Queue[Any]]:
        """A queue that receives every event of the types `reads` (a class or a union,
        every event by default) published while the block is open."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._queues[queue] = reads
        try:
            yield queue
        finally:
            self._queues.pop(queue, None)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


class BusConsumer(Generic[E]):
    """One subscription read by one owned task, for components that live in `async with`.

    Entry subscribes at once (nothing published afterwards is missed); exit lets the task
    handle what was already published, then stops it (cancelled if the exit is). A handler
    that raises is logged and the next event is read.

    The handler's parameter annotation says what it reads (say `event: CtiEvent | PartDown`):
    only those events reach its queue, and mypy holds its `match` to exactly them.

    Used as it is (`async with BusConsumer(bus, handle, name):`) or as the base of a
    component that reads the bus: its __init__ passes its handler up and it writes nothing
    else; one with more to open or close extends __aenter__/__aexit__ around super()'s.
    """

    def __init__(self, bus: EventBus, handle: Callable[[E], Awaitable[None]],
                 name: str) -> None:
        # name-mangled: a subclass's own attributes (its _bus, its _handle) never clash
        self.__bus = bus
        self.__handle = handle
        self.__reads = reads(handle)
        self.__name = name
        self.__subscription = contextlib.ExitStack()
        self.__queue: asyncio.Queue[Any] | None = None
        self.__task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self.__queue = self.__subscription.enter_context(self.__bus.subscribe(self.__reads))
        self.__task = asyncio.create_task(self.__read(self.__queue), name=self.__name)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.__queue is not None and self.__task is not None
        self.__queue.put_nowait(_STOP)
        try:
            await self.__task
        finally:
            self.__task.cancel()
            await asyncio.gather(self.__task, return_exceptions=True)
            self.__subscription.close()

    async def __read(self, queue: asyncio.Queue[Any]) -> None:
        """Every event in turn, in the call context of the call it is about (logs.py); one
        that fails is logged with what it was, and the reader goes on (a dead reader would
        leave every later event of its consumer unhandled)."""
        while (event := await queue.get()) is not _STOP:
            with event_context(event):
                try:
                    await self.__handle(event)
                except Exception:
                    log.exception("%s: handling %r failed; that event is skipped, the "
                                  "next one read", self.__name, event)


_STOP = object()


def reads(handle: Callable[[E], object]) -> Any:
    """The event types (a class or a union) a handler of one event takes: the annotation of
    its one parameter, for isinstance."""
    (parameter,) = inspect.signature(handle, eval_str=True).parameters.values()
    return parameter.annotation
