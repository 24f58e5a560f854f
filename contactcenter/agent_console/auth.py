"""Server-side sessions, CSRF tokens and the login rate limit: no awaits, no sockets.

Sessions live in memory keyed by a random id in an HttpOnly SameSite=Strict cookie, so a
logout or restart revokes them; each carries its own CSRF token for state changes.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Session:
    sid: str
    username: str
    role: str
    csrf: str


@dataclass
class Sessions:
    _by_id: dict[str, Session] = field(default_factory=dict)

    def create(self, username: str, role: str) -> Session:
        session = Session(secrets.token_urlsafe(32), username, role, secrets.token_urlsafe(32))
        self._by_id[session.sid] = session
        return session

    def get(self, sid: str | None) -> Session | None:
        return self._by_id.get(sid) if sid else None

    def drop(self, sid: str) -> None:
        self._by_id.pop(sid, None)


class LoginLimiter:
    """At most `attempts` failed logins per (username, address) in `window_s` seconds."""

    def __init__(self, attempts: int = 5, window_s: float = 300.0):
        self._attempts = attempts
        self._window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def blocked(self, username: str, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        failures = self._failures.get((username, address))
        if not failures:
            return False
        while failures and failures[0] <= now - self._window_s:
            failures.popleft()
        return len(failures) >= self._attempts

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._failures.setdefault((username, address), deque()).append(now)

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop((username, address), None)
