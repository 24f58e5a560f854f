"""The lookup step's CRM side: a customer by caller number or account number, as the
variables the step sets (customer_name, customer_account, customer_segment...)."""

from __future__ import annotations

import asyncio

from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.records import Customer
from contactcenter.ivr.runtime import CustomerLookup


def crm_lookup(db: Database) -> CustomerLookup:
    """IvrService's `lookup`: the blocking CRM query runs in a worker thread."""
    customers = Customers(db)

    async def lookup(by: str, value: str) -> dict[str, str] | None:
        find = customers.find_by_account if by == "account" else customers.find_by_phone
        customer = await asyncio.to_thread(find, value)
        return None if customer is None else customer_variables(customer)

    return lookup


def customer_variables(customer: Customer) -> dict[str, str]:
    """The fields a flow may use; fixture customers in flow tests have the same keys."""
    return {"id": str(customer.id), "name": customer.name,
            "account": customer.account_number or "", "segment": customer.segment,
            "email": customer.email, "phone": customer.phones[0] if customer.phones else ""}
