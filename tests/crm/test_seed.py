from __future__ import annotations

from argon2 import PasswordHasher

from contactcenter.crm.complaints import Complaints
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.seed import USERS, demo_password, seed
from contactcenter.crm.users import Users


def test_demo_data_has_the_documented_customers_and_logins(db: Database) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    summary = seed(db, hasher=hasher)
    assert summary.customers >= 20 and summary.open_complaints >= 3
    customers = Customers(db)
    ada = customers.find_by_phone("+14155550123")
    assert ada is not None and ada.name == "Ada Lovelace" and ada.account_number == "1001"
    grace = customers.find_by_account("1002")
    assert grace is not None and grace.phones[0] == "+442071838750"
    assert Interactions(db).recent_for_customer(ada.id)
    statuses = sorted(c.status for c in Complaints(db).for_customer(ada.id))
    assert statuses == ["new", "resolved"]
    users = Users(db, hasher)
    for username, role, *_ in USERS:
        user = users.authenticate(username, demo_password(username))
        assert user is not None and user.role == role
    assert users.get("agent101").device == "SIP/agent101"
    assert seed(db, hasher=hasher).users == 0  # a second run adds nothing
    assert len(users.list()) == len(USERS)
