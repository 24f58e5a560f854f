"""What the tests see of a call: every event on the platform's bus (BusLog), and what
Asterisk itself says on a second AMI session that hears every event class (AmiWatch), to
check the platform against Asterisk's own account."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from contactcenter.cti.ami import AmiManager
from contactcenter.events import EventBus
from tests.asterisk.harness import OBSERVER, SECRET

E = TypeVar("E")
T = TypeVar("T")


class BusLog:
    """Every event published on the platform's bus, in order, from the moment it opens."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.events: list[object] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BusLog:
        subscription = contextlib.ExitStack()
        queue = subscription.enter_context(self.bus.subscribe())

        async def record() -> None:
            with subscription:
                while True:
                    self.events.append(await queue.get())
                    self._changed.set()

        self._task = asyncio.create_task(record(), name="bus-log")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    def of(self, kind: type[E], where: Callable[[E], bool] = lambda _e: True) -> list[E]:
        return [e for e in self.events if isinstance(e, kind) and where(e)]

    async def wait_for(self, kind: type[E], where: Callable[[E], bool] = lambda _e: True,
                       within: float = 30.0, count: int = 1) -> E:
        """The `count`-th event of `kind` that satisfies `where` (seen already or next)."""
        async with asyncio.timeout(within):
            while len(found := self.of(kind, where)) < count:
                self._changed.clear()
                await self._changed.wait()
            return found[count - 1]


Event = dict[str, str]  # one AMI event's headers


class AmiWatch:
    """A second AMI session (user `observer`, every event class) that records what
    Asterisk itself says, to check the platform against it."""

    def __init__(self, port: int) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        self._manager = AmiManager(host="127.0.0.1", port=port, username=OBSERVER,
                                   secret=SECRET, action_timeout=10.0)
        self._manager.register_event("*", self._on_event)

    async def start(self) -> None:
        await self._manager.start()

    async def close(self) -> None:
        await self._manager.logoff()

    def _on_event(self, _manager: AmiManager, message: Mapping[str, str]) -> None:
        self.events.append({key: str(value) for key, value in dict(message).items()})
        self._changed.set()

    def of(self, name: str, **match: str) -> list[Event]:
        return [e for e in self.events if e.get("Event") == name
                and all(e.get(k) == v for k, v in match.items())]

    async def until(self, found: Callable[[], T | None], within: float = 30.0) -> T:
        """What `found` returns once it returns something, asked again at each event."""
        async with asyncio.timeout(within):
            while (result := found()) is None:
                self._changed.clear()
                await self._changed.wait()
            return result

    async def wait_for(self, name: str, within: float = 30.0,
                       where: Callable[[Event], bool] = lambda _e: True, count: int = 1,
                       **match: str) -> Event:
        """The `count`-th event `name` with these headers (seen already or next)."""
        def nth() -> Event | None:
            found = [e for e in self.of(name, **match) if where(e)]
            return found[count - 1] if len(found) >= count else None
        return await self.until(nth, within)

    def partner(self, uniqueid: str, other: Callable[[Event], bool]) -> Event | None:
        """The last BridgeEnter of a channel matching `other` into a bridge that channel
        `uniqueid` entered too, if any."""
        bridges = {e["BridgeUniqueid"] for e in self.of("BridgeEnter", Uniqueid=uniqueid)}
        found = [e for e in self.of("BridgeEnter") if e["Uniqueid"] != uniqueid
                 and e["BridgeUniqueid"] in bridges and other(e)]
        return found[-1] if found else None

    async def action(self, headers: Mapping[str, str]) -> list[Event]:
        replies = await self._manager.action(headers)
        return [{k: str(v) for k, v in dict(m).items()} for m in replies]

    async def channels(self) -> list[Event]:
        """Asterisk's live channels now (CoreShowChannels)."""
        return [m for m in await self.action({"Action": "CoreShowChannels"})
                if m.get("Event") == "CoreShowChannel"]

    async def command(self, line: str) -> None:
        """A CLI command (e.g. "agi set debug on")."""
        await self.action({"Action": "Command", "Command": line})


async def no_channels_left(watch: AmiWatch, within: float = 5.0) -> None:
    """Asterisk has no channel left (none stranded in music on hold, no agent leg)."""
    deadline = time.monotonic() + within
    while channels := await watch.channels():
        if time.monotonic() > deadline:
            left = [(c["Channel"], c["Context"], c["Application"], c.get("BridgeId", ""))
                    for c in channels]
            raise AssertionError(f"channels left in Asterisk: {left}")
        await asyncio.sleep(0.2)
