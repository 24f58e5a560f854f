"""`python -m tests.faults.failing_store N --config FILE run`: `contactcenter run` whose
queue store fails every Nth command (a drill of issue 10), alternately before the command
runs and after (it took effect, but its reply is lost, as when a connection drops)."""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import AsyncIterator
from typing import Any

from contactcenter import app, cli
from contactcenter.errors import StoreError


class FailingStore:
    """Any QueueStore, whose every `every`th command raises StoreError."""

    def __init__(self, store: Any, every: int) -> None:
        self._store, self._every, self.commands = store, every, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if not inspect.iscoroutinefunction(method):
            return method

        async def failing(*args: Any, **kwargs: Any) -> Any:
            self.commands += 1
            nth, fails = divmod(self.commands, self._every)
            if fails == 0 and nth % 2:
                raise StoreError(f"injected: {name} failed (command {self.commands})")
            result = await method(*args, **kwargs)
            if fails == 0:
                raise StoreError(f"injected: {name}'s reply lost (command {self.commands})")
            return result
        return failing


def failing(every: int) -> Any:
    opened = app.open_store

    @contextlib.asynccontextmanager
    async def open_store(*args: Any, **kwargs: Any) -> AsyncIterator[FailingStore]:
        async with opened(*args, **kwargs) as store:
            yield FailingStore(store, every)
    return open_store


if __name__ == "__main__":
    app.open_store = failing(int(sys.argv[1]))  # type: ignore[assignment]
    sys.exit(cli.main(sys.argv[2:]))
