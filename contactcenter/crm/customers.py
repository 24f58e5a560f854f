"""Customers: find by phone (any format, compared in E.164) or account number, search,
create and update. Bad input raises ValidationError or Conflict and writes nothing."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from contactcenter.crm import audit
from contactcenter.crm.database import Database
from contactcenter.crm.errors import Conflict, NotFound, ValidationError
from contactcenter.crm.models import CustomerRow, PhoneRow
from contactcenter.crm.phones import DEFAULT_REGION, maybe_e164, to_e164
from contactcenter.crm.profiles import Caller, caller_profiles
from contactcenter.crm.records import Customer

ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LOAD = selectinload(CustomerRow.phones)


class Customers:
    """The customer records; each call is one short transaction."""

    def __init__(self, db: Database, region: str = DEFAULT_REGION):
        self._db = db
        self._region = region

    def create(
        self,
        *,
        name: str,
        phones: Iterable[str] = (),
        email: str = "",
        account_number: str | None = None,
        segment: str = "",
        notes: str = "",
        actor: str = "system",
    ) -> Customer:
        row = CustomerRow(
            name=_name(name),
            email=_email(email),
            account_number=_account(account_number),
            segment=_short("segment", segment, 40),
            notes=notes,
        )
        numbers = self._numbers(phones)
        with _saving(self._db, "create") as session:
            row.phones = [PhoneRow(number=n, position=i) for i, n in enumerate(numbers)]
            session.add(row)
            session.flush()
            audit.record(session, actor, "create", "customer", row.id, {"name": row.name})
            return customer_record(row)

    def update(
        self,
        customer_id: int,
        *,
        name: str | None = None,
        phones: Iterable[str] | None = None,
        email: str | None = None,
        account_number: str | None = None,
        segment: str | None = None,
        notes: str | None = None,
        actor: str = "system",
    ) -> Customer:
        """Change the given fields only (account_number="" clears it; phones replace all)."""
        changes: dict[str, object] = {}
        if name is not None:
            changes["name"] = _name(name)
        if email is not None:
            changes["email"] = _email(email)
        if account_number is not None:
            changes["account_number"] = _account(account_number)
        if segment is not None:
            changes["segment"] = _short("segment", segment, 40)
        if notes is not None:
            changes["notes"] = notes
        numbers = None if phones is None else self._numbers(phones)
        with _saving(self._db, "update") as session:
            row = _get(session, customer_id)
            for key, value in changes.items():
                setattr(row, key, value)
            if numbers is not None:
                row.phones.clear()
                session.flush()  # free the old numbers before the new rows meet the unique key
                row.phones = [PhoneRow(number=n, position=i) for i, n in enumerate(numbers)]
                changes["phones"] = numbers
            session.flush()
            audit.record(session, actor, "update", "customer", row.id, changes)
            return customer_record(row)

    def get(self, customer_id: int) -> Customer:
        with self._db.session() as session:
            return customer_record(_get(session, customer_id))

    def find_by_phone(self, number: str) -> Customer | None:
        """The customer owning this number in any format; None if unknown or not a number."""
        e164 = maybe_e164(number, self._region)
        if e164 is None:
            return None
        query = select(CustomerRow).options(_LOAD).join(PhoneRow).where(PhoneRow.number == e164)
        with self._db.session() as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else customer_record(row)

    def find_by_account(self, account_number: str) -> Customer | None:
        account = (account_number or "").strip()
        if not account:
            return None
        query = select(CustomerRow).options(_LOAD).where(CustomerRow.account_number == account)
        with self._db.session() as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else customer_record(row)

    def identify(self, *, account: str = "", phone: str = "") -> tuple[Customer | None, str]:
        """Who is calling: by the account number the IVR collected, else by caller number.

        Returns (customer, "account" | "phone") or (None, "").
        """
        (profile,) = caller_profiles(
            self._db, [Caller(account, phone)], history=0, complaints=False, region=self._region
        )
        return profile.customer, profile.matched_by

    def search(self, text: str, limit: int = 20) -> list[Customer]:
        """Customers whose name, email or account number contains `text`, or whose phone
        number contains its digits (3 or more)."""
        text = text.strip()
        if not text:
            return []
        like = f"%{_escape(text)}%"
        matches = [
            CustomerRow.name.ilike(like, escape="\\"),
            CustomerRow.email.ilike(like, escape="\\"),
            CustomerRow.account_number.ilike(like, escape="\\"),
        ]
        e164 = maybe_e164(text, self._region)
        digits = re.sub(r"\D", "", e164 or text)
        if len(digits) >= 3:
            phone_ids = select(PhoneRow.customer_id).where(PhoneRow.number.contains(digits))
            matches.append(CustomerRow.id.in_(phone_ids))
        query = (
            select(CustomerRow)
            .options(_LOAD)
            .where(or_(*matches))
            .order_by(CustomerRow.name, CustomerRow.id)
            .limit(max(1, min(limit, 200)))
        )
        with self._db.session() as session:
            return [customer_record(row) for row in session.scalars(query)]

    def _numbers(self, phones: Iterable[str]) -> list[str]:
        if isinstance(phones, str):
            phones = [phones]
        numbers: list[str] = []
        for raw in phones:
            if not raw.strip():
                continue
            number = to_e164(raw, self._region, field="phones")
            if number not in numbers:
                numbers.append(number)
        return numbers


@contextlib.contextmanager
def _saving(db: Database, action: str) -> Iterator[Session]:
    """A transaction whose uniqueness failures become a Conflict naming the field."""
    try:
        with db.session() as session:
            yield session
    except IntegrityError as exc:
        message = str(exc.orig).lower()
        if "account_number" in message:
            raise Conflict("account_number: in use by another customer") from exc
        if "number" in message:
            raise Conflict("phones: a number belongs to another customer") from exc
        raise Conflict(f"customer {action} refused: {exc.orig}") from exc


def customer_record(row: CustomerRow) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        phones=tuple(phone.number for phone in row.phones),
        email=row.email,
        account_number=row.account_number,
        segment=row.segment,
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _get(session: Session, customer_id: int) -> CustomerRow:
    row = session.get(CustomerRow, customer_id, options=[_LOAD])
    if row is None:
        raise NotFound(f"no customer {customer_id}")
    return row


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name(value: str) -> str:
    name = _short("name", value, 200)
    if not name:
        raise ValidationError("name", "is required")
    return name


def _short(field: str, value: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError(field, f"at most {limit} characters")
    if any(ch in text for ch in "\r\n\0"):
        raise ValidationError(field, "must be one line")
    return text


def _email(value: str) -> str:
    email = _short("email", value, 254)
    if email and not EMAIL.fullmatch(email):
        raise ValidationError("email", f"not an email address: {value!r}")
    return email


def _account(value: str | None) -> str | None:
    account = (value or "").strip()
    if not account:
        return None
    if not ACCOUNT.fullmatch(account):
        raise ValidationError("account_number", "1-40 letters, digits or '-'")
    return account
