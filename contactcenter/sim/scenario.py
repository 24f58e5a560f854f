"""Scripted traffic: who calls, what they answer to the IVR, how long they wait; which agents
answer, after how long, and how long they talk. Plain values; the simulator plays them."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Speech:
    """A spoken answer: the audio RECORD FILE writes as the caller's recording, or that
    AudioSocket() streams in real time (8 kHz mono 16-bit WAV). ``barge_in``: the caller
    speaks over the prompt (after think_seconds) instead of waiting for it to end."""

    audio: Path
    barge_in: bool = True


Answer = str | Speech | None
"""Keys pressed (``"2"``, ``"42#"``), speech, or None for a timeout (nothing pressed)."""


@dataclass(frozen=True)
class ScriptedCaller:
    """One inbound caller. ``answers`` are consumed by the IVR's prompts in order; past their
    end the caller presses nothing. ``patience`` is seconds in music on hold before hanging up
    (None: waits forever); ``hangup_after_commands`` hangs up mid-IVR after that many AGI
    commands were answered; ``talk_seconds`` hangs up after talking that long to an agent
    (None: until the agent hangs up)."""

    number: str = "+14155550123"
    name: str = "Ada Lovelace"
    dnis: str = "5000"
    answers: tuple[Answer, ...] = ()
    patience: float | None = None
    hangup_after_commands: int | None = None
    think_seconds: float = 0.0
    talk_seconds: float | None = None


@dataclass(frozen=True)
class ScriptedAgent:
    """An agent's phone: answers after ``answer_after`` seconds (None: never) and hangs up
    after ``talk_seconds`` (None: stays until the other side hangs up)."""

    answer_after: float | None = 0.2
    talk_seconds: float | None = 5.0


@dataclass
class Keypad:
    """The caller's remaining answers, consumed by AGI commands as Asterisk reads DTMF."""

    pending: deque[Answer] = field(default_factory=deque)

    @classmethod
    def of(cls, caller: ScriptedCaller) -> Keypad:
        return cls(deque(caller.answers))

    def take(self) -> Answer:
        """The next whole answer; None once the script is spent."""
        return self.pending.popleft() if self.pending else None

    def take_escape(self, escape_digits: str) -> str | None:
        """One key, if the next answer starts with a key that may interrupt playback."""
        nxt = self.pending[0] if self.pending else None
        if not isinstance(nxt, str) or not nxt or nxt[0] not in escape_digits:
            return None
        if len(nxt) == 1:
            self.pending.popleft()
        else:
            self.pending[0] = nxt[1:]
        return nxt[0]


def poisson_arrivals(rate_per_s: float, seconds: float, rng: random.Random) -> Iterator[float]:
    """Arrival offsets (seconds from start) of a Poisson process at ``rate_per_s``."""
    at = rng.expovariate(rate_per_s)
    while at < seconds:
        yield at
        at += rng.expovariate(rate_per_s)


def fixed_arrivals(callers: Sequence[ScriptedCaller], seconds: float) -> list[float]:
    """Offsets spreading ``callers`` evenly over ``seconds``."""
    if not callers:
        return []
    step = seconds / len(callers)
    return [i * step for i in range(len(callers))]
