"""The lookup step's CRM side: a customer by caller number or account number, as the
variables the step sets (customer_name, customer_account, customer_segment...)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.records import Customer
from contactcenter.ivr.runtime import CustomerLookup


def crm_lookup(db: Database) -> CustomerLookup:
    """IvrService's `lookup`: the blocking CRM query runs in a worker thread."""
    find = crm_find(db)

    async def lookup(by: str, value: str) -> dict[str, str] | None:
        return await asyncio.to_thread(find, by, value)

    return lookup


def crm_find(db: Database) -> Callable[[str, str], dict[str, str] | None]:
    """The blocking lookup by "account" or "phone" (`flows simulate --crm` calls it as is)."""
    customers = Customers(db)

    def find(by: str, value: str) -> dict[str, str] | None:
        query = customers.find_by_account if by == "account" else customers.find_by_phone
        customer = query(value)
        return None if customer is None else customer_variables(customer)

    return find


def customer_variables(customer: Customer) -> dict[str, str]:
    """The fields a flow may use; fixture customers in flow tests have the same keys."""
    return {"id": str(customer.id), "name": customer.name,
            "account": customer.account_number or "", "segment": customer.segment,
            "email": customer.email, "phone": customer.phones[0] if customer.phones else ""}
