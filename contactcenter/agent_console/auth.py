"""Console sessions, CSRF tokens, the login rate limit and password checks. Sessions and
failed logins are kept in the CRM database so a restart signs nobody out and forgets no
failed login.

The cookie (HttpOnly, SameSite=Strict) carries a random token; the database keeps only its
SHA-256, so a copy of the database signs nobody in. Each session's CSRF token is an HMAC
of its token, never stored. A session ends at logout, after `lifetime_s`, when its user is
deactivated, and when their password changes; it carries the user's role as it is now.
The methods run SQL: the app calls them in a worker thread. Passwords are checked in a
small pool of their own (PasswordCheck), so a flood of logins queues there, not in front of
the signed-in users' requests.

A database outage signs nobody out: the sessions this process has verified are remembered
until they expire and stand in while the database cannot be reached (a logout in another
process during the outage takes effect here when the database is back).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher

from contactcenter.crm.database import Database, unreachable
from contactcenter.crm.logins import Logins, StoredSession
from contactcenter.crm.records import User
from contactcenter.crm.users import Users, normalise

Clock = Callable[[], float]
SHIFT_S = 12 * 3600.0  # a session lasts one long shift


@dataclass(frozen=True)
class Session:
    sid: str  # the cookie's token; only its hash is stored
    username: str
    role: str
    csrf: str


class Sessions:
    def __init__(self, db: Database, *, lifetime_s: float = SHIFT_S,
                 clock: Clock = time.time) -> None:
        self._logins = Logins(db)
        self._lifetime_s = lifetime_s
        self._clock = clock
        self._verified: dict[str, StoredSession] = {}  # token hash -> as last read
        self._lock = threading.Lock()  # the methods run in worker threads

    def create(self, username: str, role: str) -> Session:
        sid, now = secrets.token_urlsafe(32), self._clock()
        self._logins.add_session(_hash(sid), username, role, now=_utc(now),
                                 expires_at=_utc(now + self._lifetime_s))
        with self._lock:  # forget the expired
            self._verified = {token: stored for token, stored in self._verified.items()
                              if stored.expires_at > _utc(now)}
        return Session(sid, username, role, _csrf(sid))

    def get(self, sid: str | None) -> Session | None:
        """The live session of this cookie token; None if unknown, dropped or expired.
        While the database is unreachable, the session as this process last verified it
        (the database's error if it never did)."""
        if not sid:
            return None
        token, now = _hash(sid), _utc(self._clock())
        try:
            stored = self._logins.session(token, now=now)
        except Exception as exc:
            with self._lock:
                stored = self._verified.get(token)
            if not unreachable(exc) or stored is None or stored.expires_at <= now:
                raise
        else:
            with self._lock:
                if stored is None:
                    self._verified.pop(token, None)
                else:
                    self._verified[token] = stored
        return None if stored is None else Session(sid, stored.username, stored.role,
                                                   _csrf(sid))

    def drop(self, sid: str) -> None:
        with self._lock:
            self._verified.pop(_hash(sid), None)
        self._logins.drop_session(_hash(sid))


class LoginLimiter:
    """At most `attempts` failed logins per (user, address) and `per_address` per address
    under any names, in `window_s` seconds. The user is counted as login finds them
    (normalised), so `ADMIN` and ` admin` use up the same attempts as `admin`."""

    def __init__(self, db: Database, *, attempts: int = 5, per_address: int = 20,
                 window_s: float = 300.0, clock: Clock = time.time) -> None:
        self._logins = Logins(db)
        self._attempts = attempts
        self._per_address = per_address
        self._window_s = window_s
        self._clock = clock

    def blocked(self, username: str, address: str) -> bool:
        since = _utc(self._clock() - self._window_s)
        return (self._logins.failures(normalise(username), address, since=since)
                >= self._attempts
                or self._logins.failures_from(address, since=since) >= self._per_address)

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        self._logins.add_failure(normalise(username), address, at=_utc(now),
                                 forget_before=_utc(now - self._window_s))

    def succeeded(self, username: str, address: str) -> None:
        self._logins.clear_failures(normalise(username), address)


class PasswordsBusy(Exception):
    """More logins are waiting for a password check than PasswordCheck lets wait."""


class PasswordCheck:
    """Checks passwords in `workers` threads of its own, with at most `waiting` more logins
    queued (PasswordsBusy beyond that): argon2 is slow on purpose, and in the shared
    executor 48 bogus logins stalled a signed-in agent's requests for 9 s."""

    def __init__(self, db: Database, *, workers: int = 2, waiting: int = 32,
                 hasher: PasswordHasher | None = None) -> None:
        self._users = Users(db, hasher)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="password-check")
        self._room = workers + waiting
        self._taken = 0

    @property
    def in_use(self) -> int:
        """Logins being checked or waiting for a thread."""
        return self._taken

    async def authenticate(self, username: str, password: str) -> User | None:
        if self._taken >= self._room:
            raise PasswordsBusy(f"{self._taken} logins are being checked; try again shortly")
        self._taken += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._pool, self._users.authenticate, username, password)
        finally:
            self._taken -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _csrf(sid: str) -> str:
    return hmac.new(sid.encode(), b"csrf", hashlib.sha256).hexdigest()


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
