"""Users (agents, supervisors, admins): argon2 password hashes, roles, device, queues, skills.

Password work is slow on purpose (argon2id, tens of milliseconds): one hasher serves the
process, and the hash compared against when a user does not exist is computed once, not per
login. A new password ends the user's console sessions."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from contactcenter.crm import audit
from contactcenter.crm.database import Database
from contactcenter.crm.errors import Conflict, NotFound, ValidationError
from contactcenter.crm.models import ConsoleSessionRow, UserQueueRow, UserRow, UserSkillRow
from contactcenter.crm.records import ROLES, QueueMembership, Skill, User

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
DEVICE = re.compile(r"[A-Za-z0-9]+/[A-Za-z0-9._@:-]+")  # "SIP/agent101", "PJSIP/201"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")  # queue and skill names
MIN_PASSWORD = 8
HASHER = PasswordHasher()  # argon2id with argon2-cffi's recommended parameters


def normalise(username: str) -> str:
    """A user name as stored and looked up: `ADMIN ` signs in as `admin`."""
    return username.strip().lower()


@functools.lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """What an unknown user's password is checked against, so that costs the same."""
    return hasher.hash("no such user")


class Users:
    """Create, read, update and authenticate users; each call is one short transaction."""

    def __init__(self, db: Database, hasher: PasswordHasher | None = None):
        self._db = db
        self._hasher = hasher or HASHER

    def create(
        self,
        username: str,
        password: str,
        *,
        role: str = "agent",
        display_name: str = "",
        device: str = "",
        queues: Mapping[str, int] | None = None,
        skills: Mapping[str, int] | None = None,
        actor: str = "system",
    ) -> User:
        """A new user. queues maps queue -> penalty, skills maps skill -> level."""
        username = _username(username)
        row = UserRow(
            username=username,
            display_name=display_name.strip() or username,
            password_hash=self._hash(password),
            role=_role(role),
            device=_device(device),
            active=True,
        )
        _set_queues(row, queues or {})
        _set_skills(row, skills or {})
        try:
            with self._db.session() as session:
                session.add(row)
                session.flush()
                audit.record(session, actor, "create", "user", username, {"role": row.role})
                return _user(row)
        except IntegrityError as exc:
            raise Conflict(f"username {username!r} is taken") from exc

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user whose password this is, else None (same work either way)."""
        with self._db.session() as session:
            row = _find(session, normalise(username))
            stored = row.password_hash if row is not None else _dummy_hash(self._hasher)
            try:
                self._hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None or not row.active:
                return None
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            return _user(row)

    def get(self, username: str) -> User:
        """The user, or NotFound."""
        with self._db.session() as session:
            return _user(_get(session, username))

    def find(self, username: str) -> User | None:
        with self._db.session() as session:
            row = _find(session, normalise(username))
            return None if row is None else _user(row)

    def list(self, role: str | None = None) -> list[User]:
        query = select(UserRow).options(*_LOAD).order_by(UserRow.username)
        if role is not None:
            query = query.where(UserRow.role == _role(role))
        with self._db.session() as session:
            return [_user(row) for row in session.scalars(query)]

    def update(
        self,
        username: str,
        *,
        role: str | None = None,
        display_name: str | None = None,
        device: str | None = None,
        active: bool | None = None,
        queues: Mapping[str, int] | None = None,
        skills: Mapping[str, int] | None = None,
        actor: str = "system",
    ) -> User:
        """Change the given fields only; queues and skills, when given, replace the old ones."""
        changes: dict[str, object] = {}
        with self._db.session() as session:
            row = _get(session, username)
            if role is not None:
                row.role = changes["role"] = _role(role)
            if display_name is not None:
                row.display_name = changes["display_name"] = display_name.strip() or row.username
            if device is not None:
                row.device = changes["device"] = _device(device)
            if active is not None:
                row.active = changes["active"] = bool(active)
            if queues is not None:
                row.queues.clear()
                session.flush()  # the old rows go before the new ones meet the unique key
                _set_queues(row, queues)
                changes["queues"] = dict(queues)
            if skills is not None:
                row.skills.clear()
                session.flush()
                _set_skills(row, skills)
                changes["skills"] = dict(skills)
            session.flush()
            audit.record(session, actor, "update", "user", row.username, changes)
            return _user(row)

    def set_password(self, username: str, password: str, *, actor: str = "system") -> None:
        """A new password; the user's console sessions end (whoever knew the old one is
        signed out too)."""
        password_hash = self._hash(password)
        with self._db.session() as session:
            row = _get(session, username)
            row.password_hash = password_hash
            session.execute(delete(ConsoleSessionRow)
                            .where(ConsoleSessionRow.username == row.username))
            audit.record(session, actor, "set_password", "user", row.username)

    def _hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise ValidationError("password", f"must have at least {MIN_PASSWORD} characters")
        return self._hasher.hash(password)


_LOAD = (selectinload(UserRow.queues), selectinload(UserRow.skills))


def _find(session: Session, username: str) -> UserRow | None:
    query = select(UserRow).options(*_LOAD).where(UserRow.username == username)
    return session.scalars(query).one_or_none()


def _get(session: Session, username: str) -> UserRow:
    row = _find(session, normalise(username))
    if row is None:
        raise NotFound(f"no user {username!r}")
    return row


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        device=row.device,
        active=row.active,
        queues=tuple(sorted(QueueMembership(q.queue, q.penalty) for q in row.queues)),
        skills=tuple(sorted(Skill(s.skill, s.level) for s in row.skills)),
    )


def _username(value: str) -> str:
    username = normalise(value)
    if not USERNAME.fullmatch(username):
        raise ValidationError(
            "username", "1-80 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return username


def _role(value: str) -> str:
    if value not in ROLES:
        raise ValidationError("role", f"must be one of {', '.join(ROLES)}, not {value!r}")
    return value


def _device(value: str) -> str:
    device = value.strip()
    if device and not DEVICE.fullmatch(device):
        raise ValidationError("device", f"expected TECH/resource like SIP/agent101, not {value!r}")
    return device


def _checked_levels(field: str, values: Mapping[str, int]) -> dict[str, int]:
    checked = {}
    for name, level in values.items():
        if not NAME.fullmatch(name):
            raise ValidationError(field, f"bad name {name!r}")
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 100:
            raise ValidationError(field, f"{name}: expected a whole number 0-100, not {level!r}")
        checked[name] = level
    return checked


def _set_queues(row: UserRow, queues: Mapping[str, int]) -> None:
    checked = _checked_levels("queues", queues)
    row.queues = [UserQueueRow(queue=name, penalty=penalty) for name, penalty in checked.items()]


def _set_skills(row: UserRow, skills: Mapping[str, int]) -> None:
    checked = _checked_levels("skills", skills)
    row.skills = [UserSkillRow(skill=name, level=level) for name, level in checked.items()]
