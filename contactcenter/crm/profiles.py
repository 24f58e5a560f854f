"""What the screen pop needs about many callers at once: who they are (by account number,
else by phone), their recent interactions and complaints not closed, in one read of a few set-based
queries, so a burst of offers costs about as much as one."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, func, select

from contactcenter.crm.database import Database
from contactcenter.crm.models import ComplaintRow, CustomerRow, InteractionRow, PhoneRow
from contactcenter.crm.phones import DEFAULT_REGION, maybe_e164
from contactcenter.crm.records import Complaint, Customer, Interaction

CUSTOMERS = CustomerRow.__table__
PHONES = PhoneRow.__table__
INTERACTIONS = InteractionRow.__table__
COMPLAINTS = ComplaintRow.__table__


@dataclass(frozen=True)
class Caller:
    """How a call identifies its caller: the account number the IVR collected, the number."""

    account: str = ""
    phone: str = ""


@dataclass(frozen=True)
class CallerProfile:
    customer: Customer | None
    matched_by: str  # "account" | "phone" | "" (unknown caller)
    phone_e164: str | None  # the caller's number in E.164, None if it is not a number
    interactions: tuple[Interaction, ...] = ()  # newest first
    complaints: tuple[Complaint, ...] = ()  # not closed yet, newest first


def caller_profiles(
    db: Database,
    callers: Sequence[Caller],
    *,
    history: int = 5,
    complaints: bool = True,
    region: str = DEFAULT_REGION,
) -> list[CallerProfile]:
    """One profile per caller, in order, with up to `history` past interactions each."""
    numbers = [maybe_e164(caller.phone, region) for caller in callers]
    accounts = [caller.account.strip() for caller in callers]
    with db.engine.connect() as conn:
        by_account = _ids(conn, CUSTOMERS.c.account_number, CUSTOMERS.c.id, accounts)
        by_number = _ids(conn, PHONES.c.number, PHONES.c.customer_id, numbers)
        matches: list[tuple[int | None, str]] = []
        for account, number in zip(accounts, numbers, strict=True):
            if account in by_account:
                matches.append((by_account[account], "account"))
            elif number in by_number:
                matches.append((by_number[number], "phone"))
            else:
                matches.append((None, ""))
        ids = {customer_id for customer_id, _ in matches if customer_id is not None}
        customers = _customers(conn, ids)
        recent = _recent_interactions(conn, ids, history) if history > 0 else {}
        found = _complaints(conn, customers) if complaints else {}
    return [
        CallerProfile(None, matched_by, number) if customer_id is None else CallerProfile(
            customer=customers.get(customer_id),
            matched_by=matched_by,
            phone_e164=number,
            interactions=tuple(recent.get(customer_id, ())),
            complaints=tuple(found.get(customer_id, ())),
        )
        for (customer_id, matched_by), number in zip(matches, numbers, strict=True)
    ]


def _ids(conn: Connection, key_column: ColumnElement[str], id_column: ColumnElement[int],
         keys: Iterable[str | None]) -> dict[str, int]:
    wanted = {key for key in keys if key}
    if not wanted:
        return {}
    return dict(conn.execute(select(key_column, id_column).where(key_column.in_(wanted))).all())


def _customers(conn: Connection, ids: set[int]) -> dict[int, Customer]:
    if not ids:
        return {}
    phones: dict[int, list[str]] = {}
    query = (
        select(PHONES.c.customer_id, PHONES.c.number)
        .where(PHONES.c.customer_id.in_(ids))
        .order_by(PHONES.c.position, PHONES.c.id)
    )
    for customer_id, number in conn.execute(query):
        phones.setdefault(customer_id, []).append(number)
    rows = conn.execute(select(CUSTOMERS).where(CUSTOMERS.c.id.in_(ids))).mappings()
    return {
        row["id"]: Customer(phones=tuple(phones.get(row["id"], ())), **_fields(Customer, row))
        for row in rows
    }


def _recent_interactions(
    conn: Connection, ids: set[int], limit: int
) -> dict[int, list[Interaction]]:
    if not ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=INTERACTIONS.c.customer_id,
            order_by=(INTERACTIONS.c.entered_at.desc().nulls_last(), INTERACTIONS.c.id.desc()),
        )
        .label("rank")
    )
    ranked = select(INTERACTIONS, rank).where(INTERACTIONS.c.customer_id.in_(ids)).subquery()
    query = select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.rank)
    found: dict[int, list[Interaction]] = {}
    for row in conn.execute(query).mappings():
        found.setdefault(row["customer_id"], []).append(Interaction(**_fields(Interaction, row)))
    return found


def _complaints(conn: Connection, customers: dict[int, Customer]) -> dict[int, list[Complaint]]:
    """The customers' complaints not closed: the open ones and the resolved ones whose
    solution the agent may still have to tell."""
    if not customers:
        return {}
    query = (
        select(COMPLAINTS)
        .where(COMPLAINTS.c.customer_id.in_(customers), COMPLAINTS.c.status != "closed")
        .order_by(COMPLAINTS.c.created_at.desc(), COMPLAINTS.c.id.desc())
    )
    found: dict[int, list[Complaint]] = {}
    for row in conn.execute(query).mappings():
        owner = customers[row["customer_id"]]
        found.setdefault(owner.id, []).append(
            Complaint(customer_name=owner.name, **_fields(Complaint, row)))
    return found


def _fields(record: type, row: RowMapping) -> dict[str, Any]:
    """The row's columns that the record has (the record may add its own, like phones); the
    values are the database's, as untyped as SQLAlchemy's RowMapping holds them."""
    return {
        field.name: row[field.name]
        for field in dataclasses.fields(record)
        if field.name in row
    }
