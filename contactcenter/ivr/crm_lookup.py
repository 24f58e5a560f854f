"""The lookup step's CRM side: a customer by caller number or account number, as the
variables the step sets (customer_name, customer_account, customer_segment...)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from contactcenter.crm.database import Database
from contactcenter.crm.profiles import Caller, caller_profiles
from contactcenter.crm.records import Customer
from contactcenter.ivr.runtime import CustomerLookup


def crm_lookup(db: Database) -> CustomerLookup:
    """IvrService's `lookup`: the blocking CRM query runs in a worker thread."""
    find = crm_find(db)

    async def lookup(by: str, value: str) -> dict[str, str] | None:
        return await asyncio.to_thread(find, by, value)

    return lookup


def crm_find(db: Database) -> Callable[[str, str], dict[str, str] | None]:
    """The blocking lookup by "account" or "phone" (`flows simulate --crm` calls it as is).
    Through the screen pop's set-based read (crm.profiles): a few Core statements built
    once, not an ORM query and its phones' eager load per caller."""

    def find(by: str, value: str) -> dict[str, str] | None:
        caller = Caller(account=value) if by == "account" else Caller(phone=value)
        (profile,) = caller_profiles(db, [caller], history=0, complaints=False)
        customer = profile.customer
        return None if customer is None else customer_variables(customer)

    return find


def customer_variables(customer: Customer) -> dict[str, str]:
    """The fields a flow may use; fixture customers in flow tests have the same keys."""
    return {"id": str(customer.id), "name": customer.name,
            "account": customer.account_number or "", "segment": customer.segment,
            "email": customer.email, "phone": customer.phones[0] if customer.phones else ""}
