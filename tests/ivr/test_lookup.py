"""The lookup step: a customer by caller number or collected account number, into
variables, with found / not_found / error paths; and its CRM side on a real database."""

from __future__ import annotations

import pytest

from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.ivr.crm_lookup import crm_lookup
from contactcenter.ivr.interpreter import CallInfo, Finish, Lookup, Play
from tests.ivr.walking import walk

FLOW = """
name: t
steps:
  who:
    lookup: {found: known, not_found: account}
    on_error: sorry
  known: {say: "Hello ${customer_name}, ${customer_segment}.", next: queue}
  account:
    collect: {prompt: Account?, into: account, min: 4, max: 6}
    next: by_account
    on_exhausted: queue
  by_account:
    lookup: {by: account, value: "${account}", into: holder, found: queue, not_found: queue}
    on_error: sorry
  queue: {queue: {name: billing, fields: [account, holder_name]}}
  sorry: {hangup: Our systems are down.}
"""
ADA = {"name": "Ada Lovelace", "segment": "vip", "account": "1001"}


def test_found_by_caller_number_sets_the_customer_variables() -> None:
    asked = []
    run, actions = walk(FLOW, [], find=lambda by, value: asked.append((by, value)) or ADA)
    assert actions[0] == Lookup("phone", "+14155550123")
    assert asked == [("phone", "+14155550123")]
    assert Play("Hello Ada Lovelace, vip.") in actions
    assert run.path == ["who", "known", "queue"]
    assert run.vars["customer_account"] == "1001"


def test_not_found_then_found_by_the_collected_account_into_a_prefix() -> None:
    run, actions = walk(FLOW, ["1001#"],
                        find=lambda by, value: ADA if (by, value) == ("account", "1001") else None)
    assert Lookup("account", "1001") in actions
    assert run.path == ["who", "account", "by_account", "queue"]
    assert run.vars["holder_name"] == "Ada Lovelace" and "customer_name" not in run.vars
    assert actions[-1].variables["CC_FIELDS"] == "account=1001&holder_name=Ada+Lovelace"


def test_a_crm_failure_takes_the_error_path() -> None:
    run, actions = walk(FLOW, [], find=lambda by, value: False)
    assert actions[-2:] == [Play("Our systems are down."), Finish("hangup", "sorry")]


def test_an_unknown_caller_number_is_not_found_without_asking_the_crm() -> None:
    run, actions = walk(FLOW, [None] * 3, call=CallInfo("17.2"),
                        find=lambda by, value: pytest.fail("the CRM was asked"))
    assert not any(isinstance(a, Lookup) for a in actions)
    assert run.path[:2] == ["who", "account"]


@pytest.fixture
def db(tmp_path) -> Database:
    database = Database.open(f"sqlite:///{tmp_path / 'crm.db'}")
    Customers(database).create(name="Ada Lovelace", phones=["+1 415 555 0123"],
                               account_number="1001", segment="vip", email="ada@example.org")
    yield database
    database.close()


async def test_the_crm_lookup_finds_by_any_phone_format_and_by_account(db: Database) -> None:
    lookup = crm_lookup(db)
    by_phone = await lookup("phone", "(415) 555-0123")
    assert by_phone is not None
    assert {k: by_phone[k] for k in ("name", "account", "segment", "email", "phone")} == {
        "name": "Ada Lovelace", "account": "1001", "segment": "vip",
        "email": "ada@example.org", "phone": "+14155550123"}
    assert (await lookup("account", "1001")) == by_phone
    assert await lookup("account", "9999") is None
    assert await lookup("phone", "anonymous") is None
