from __future__ import annotations

import pytest

from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.errors import Conflict, NotFound, ValidationError


@pytest.fixture
def customers(db: Database) -> Customers:
    return Customers(db)


def test_phones_are_stored_in_e164_and_found_in_any_format(customers: Customers) -> None:
    ada = customers.create(
        name="Ada Lovelace",
        phones=["(415) 555-0123", "+1 415 555 0123"],
        account_number="1001",
        email="ada@example.org",
    )
    assert ada.phones == ("+14155550123",)
    for raw in ("+14155550123", "4155550123", "1-415-555-0123", "001 415 555 0123"):
        assert customers.find_by_phone(raw) == ada
    assert customers.find_by_phone("+14155550199") is None
    assert customers.find_by_phone("anonymous") is None


def test_find_by_account_and_identify_prefers_the_account(customers: Customers) -> None:
    ada = customers.create(name="Ada Lovelace", phones=["+14155550123"], account_number="1001")
    grace = customers.create(name="Grace Hopper", phones=["+442071838750"], account_number="1002")
    assert customers.find_by_account("1002") == grace
    assert customers.find_by_account("") is None
    # Grace calls from Ada's phone but keyed in her own account: the account wins.
    assert customers.identify(account="1002", phone="+14155550123") == (grace, "account")
    assert customers.identify(account="9999", phone="4155550123") == (ada, "phone")
    assert customers.identify(account="", phone="+15550000000") == (None, "")


def test_search_matches_name_email_account_and_phone_digits(customers: Customers) -> None:
    ada = customers.create(
        name="Ada Lovelace", phones=["+14155550123"], account_number="1001", email="ada@example.org"
    )
    grace = customers.create(
        name="Grace Hopper",
        phones=["+442071838750"],
        account_number="1002",
        email="admiral@navy.example",
    )
    assert customers.search("lovel") == [ada]
    assert customers.search("NAVY") == [grace]
    assert customers.search("1002") == [grace]
    assert customers.search("7183") == [grace]
    assert customers.search("(415) 555-0123") == [ada]
    assert customers.search("100") == [ada, grace]
    assert customers.search("%") == []
    assert customers.search("  ") == []


def test_update_changes_only_given_fields(customers: Customers) -> None:
    ada = customers.create(
        name="Ada Lovelace",
        phones=["+14155550123"],
        account_number="1001",
        segment="vip",
        notes="likes email",
    )
    updated = customers.update(
        ada.id, phones=["+14155550124", "+14155550123"], segment="retail", actor="agent101"
    )
    assert updated.phones == ("+14155550124", "+14155550123")
    assert (updated.name, updated.segment, updated.notes) == (
        "Ada Lovelace",
        "retail",
        "likes email",
    )
    assert customers.find_by_phone("4155550124") == updated
    assert customers.update(ada.id, account_number="").account_number is None
    with pytest.raises(NotFound):
        customers.update(12345, name="Nobody")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "X", "phones": ["not a phone"]}, "phones"),
        ({"name": "X", "email": "no-at-sign"}, "email"),
        ({"name": "X", "account_number": "12 34"}, "account_number"),
        ({"name": "X\r\nY"}, "name"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    customers: Customers, kwargs: dict, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        customers.create(**kwargs)
    assert caught.value.field == field
    assert customers.search("X") == []


def test_a_number_or_account_of_another_customer_is_a_conflict_and_loses_nothing(
    customers: Customers,
) -> None:
    ada = customers.create(name="Ada Lovelace", phones=["+14155550123"], account_number="1001")
    grace = customers.create(name="Grace Hopper", phones=["+442071838750"], account_number="1002")
    with pytest.raises(Conflict, match="phones"):
        customers.update(grace.id, name="Grace B. Hopper", phones=["4155550123"])
    with pytest.raises(Conflict, match="account_number"):
        customers.update(grace.id, account_number="1001")
    with pytest.raises(Conflict, match="phones"):
        customers.create(name="Impostor", phones=["+14155550123"])
    assert customers.get(grace.id) == grace
    assert customers.get(ada.id) == ada
    assert customers.search("Impostor") == []
