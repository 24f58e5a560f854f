"""The seeded interleaving ('chaos') of AMI events: each event waits a random 0-30 ms, and
goes out once that time has passed and every earlier event of each stream it belongs to has
gone out. Pure: the AMI server gives the clock and writes what comes out.

Why streams and not one queue: a real Asterisk writes its manager events from one queue, but
they reach it from many threads (each channel's, each bridge's, the Originate's) through
stasis, so events of different channels arrive in varying order (issue 9), while one
channel's events keep theirs. The streams an event belongs to (``streams``):
- its channel (Uniqueid) and, for Dial* events, the dialled channel (DestUniqueid);
- its bridge (BridgeUniqueid): BridgeCreate, then each BridgeEnter/BridgeLeave, then
  BridgeDestroy; BridgeEnter/Leave are in both their channel's stream and the bridge's;
- DeviceStateChange: its device;
- OriginateResponse: none. manager.c's originate thread writes it straight to the event
  queue while the new channel's own events go through stasis, so it may overtake them (a
  real run saw it before the cancelled leg's DialEnd and Hangup, issue 9);
- anything else (SuccessfulAuth, ...): none.
An event with no stream can pass any event that is at most its delay older.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from contactcenter.sim.ami_frames import Fields

MAX_DELAY = 0.030
PRUNE_AT = 4096
T = TypeVar("T")


def streams(fields: Fields) -> tuple[str, ...]:
    """The streams (see the module docstring) of one event, by its headers."""
    headers: dict[str, str] = {}
    for key, value in fields:
        headers.setdefault(key, value)
    if headers.get("Event") == "OriginateResponse":
        return ()
    keys = [f"channel:{headers[k]}" for k in ("Uniqueid", "DestUniqueid")
            if headers.get(k, "<unknown>") != "<unknown>"]
    if "BridgeUniqueid" in headers:
        keys.append(f"bridge:{headers['BridgeUniqueid']}")
    if headers.get("Event") == "DeviceStateChange":
        keys.append(f"device:{headers.get('Device', '')}")
    return tuple(keys)


@dataclass(order=True)
class _Pending(Generic[T]):
    due: float
    seq: int
    item: T = field(compare=False)


class Interleaver(Generic[T]):
    """Items in, items out in a seeded random order that keeps each stream's order.

    ``push`` draws the item's delay from the seeded generator: the same seed and the same
    items pushed in the same order give the same delays, hence the same order out, whatever
    the wall clock does between pushes."""

    def __init__(self, seed: int, max_delay: float = MAX_DELAY) -> None:
        self._rng = random.Random(seed)
        self._max_delay = max_delay
        self._heap: list[_Pending[T]] = []
        self._seq = itertools.count()
        self._last: dict[Hashable, float] = {}  # per stream: when its latest item goes out

    def push(self, item: T, keys: tuple[Hashable, ...], now: float) -> None:
        """Buffer ``item``, member of streams ``keys``, pushed at time ``now``."""
        due = now + self._rng.uniform(0.0, self._max_delay)
        # never before an earlier item of one of its streams (equal times go in push order)
        due = max([due, *(self._last.get(key, due) for key in keys)])
        for key in keys:
            self._last[key] = due
        heapq.heappush(self._heap, _Pending(due, next(self._seq), item))

    def pop_due(self, now: float) -> list[T]:
        """Every item whose time has come, in the order they go out."""
        out: list[T] = []
        while self._heap and self._heap[0].due <= now:
            out.append(heapq.heappop(self._heap).item)
        if not self._heap:
            self._last.clear()  # nothing pending: no stream constrains the next push
        elif len(self._last) > PRUNE_AT:  # streams whose last item is out constrain nothing
            self._last = {key: due for key, due in self._last.items() if due > now}
        return out

    def drain(self) -> list[T]:
        """Everything still buffered, in the order it would have gone out."""
        return self.pop_due(float("inf"))

    def next_due(self) -> float | None:
        """When the next item goes out; None when nothing is buffered."""
        return self._heap[0].due if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
