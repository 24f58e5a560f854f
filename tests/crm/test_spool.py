"""The database spool (crm/spool.py): order kept through an outage, bounded, outage shown.

The writes here stand for the recorder's and the console's; `Outage` fails them the way
SQLAlchemy reports a server that is not there (tests/console/test_database_outage.py
stops a real PostgreSQL)."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy.exc import OperationalError

from contactcenter.crm.errors import ValidationError
from contactcenter.crm.spool import KEPT, SpoolFull, WriteSpool
from contactcenter.health import DATABASE, PartDown, PartUp
from tests.helpers import FAST_BACKOFF, eventually


class Outage:
    """A database that refuses connections while `down` is set, and records what it got."""

    def __init__(self) -> None:
        self.down = threading.Event()
        self.written: list[str] = []
        self.tries = 0

    def write(self, name: str):  # type: ignore[no-untyped-def]
        def run() -> str:
            self.tries += 1
            if self.down.is_set():
                raise OperationalError("INSERT ...", {}, ConnectionRefusedError(
                    "connection failed: Connection refused"))
            self.written.append(name)
            return name
        return run


async def test_writes_are_kept_through_an_outage_and_land_in_the_order_given() -> None:
    database, health = Outage(), []
    call = ["queued", "offered", "connected", "ended"]
    async with WriteSpool(publish=health.append, backoff=FAST_BACKOFF) as spool:
        assert await spool.write("a: queued", database.write("a:queued")) == "a:queued"
        database.down.set()
        for step in call[1:]:
            spool.submit(f"a: {step}", database.write(f"a:{step}"))
            spool.submit(f"b: {step}", database.write(f"b:{step}"))
        await eventually(lambda: spool.down)
        assert await spool.write("a: wrap-up", database.write("a:wrap-up")) is KEPT
        tries = database.tries
        await eventually(lambda: database.tries >= tries + 3)  # it retries meanwhile
        assert spool.pending == 7
        database.down.clear()
        await spool.drained()
        assert not spool.down
    a = [w for w in database.written if w.startswith("a:")]
    assert a == [f"a:{step}" for step in call] + ["a:wrap-up"]
    assert database.written[1:] == [f"{c}:{step}" for step in call[1:] for c in "ab"] + [
        "a:wrap-up"]
    assert [type(event) for event in health] == [PartDown, PartUp]  # once each, not per try
    down, up = health
    assert (down.part, up.part) == (DATABASE, DATABASE)
    assert "Connection refused" in down.reason and down.at <= up.at


async def test_a_refused_write_is_given_up_and_the_next_one_goes_on(caplog) -> None:
    database = Outage()

    def refused() -> None:
        raise ValidationError("outcome", "must be one of answered, abandoned, overflowed")

    async with WriteSpool(backoff=FAST_BACKOFF) as spool:
        spool.submit("CallEnded of call c1", refused)
        spool.submit("CallQueued of call c2", database.write("c2"))
        with pytest.raises(ValidationError):  # a waiting caller is told, nothing kept
            await spool.write("wrap-up of call c2", refused)
        await spool.drained()
    assert database.written == ["c2"]
    assert "CallEnded of call c1: outcome: must be one of" in caplog.text
    assert "given up" in caplog.text


async def test_at_its_bound_the_spool_refuses_and_says_what_is_lost(caplog) -> None:
    database = Outage()
    database.down.set()
    async with WriteSpool(backoff=FAST_BACKOFF, limit=3) as spool:
        spool.submit("call 1", database.write("1"))
        await eventually(lambda: spool.down)
        spool.submit("call 2", database.write("2"))
        assert await spool.write("call 3", database.write("3")) is KEPT
        with caplog.at_level(logging.ERROR), pytest.raises(SpoolFull):
            spool.submit("CallEnded of call 4", database.write("4"))
        assert "spool full (3 writes kept" in caplog.text
        assert "CallEnded of call 4 is refused and lost" in caplog.text
        database.down.clear()
        await spool.drained()
        spool.submit("call 5", database.write("5"))  # room again
        await spool.drained()
    assert database.written == ["1", "2", "3", "5"]


async def test_a_slow_database_answers_kept_then_writes_it() -> None:
    release, written = threading.Event(), []

    def slow() -> str:
        release.wait(5)
        written.append("notes")
        return "notes"

    async with WriteSpool(backoff=FAST_BACKOFF) as spool:
        assert await spool.write("wrap-up", slow, wait_seconds=0.1) is KEPT
        release.set()
        await spool.drained()
    assert written == ["notes"]


async def test_stopping_while_the_database_is_down_logs_every_write_it_loses(caplog) -> None:
    database = Outage()
    database.down.set()
    with caplog.at_level(logging.ERROR):
        async with WriteSpool(backoff=FAST_BACKOFF, drain_seconds=0.2) as spool:
            spool.submit("CallEnded of call c7", database.write("c7"))
            spool.submit("wrap-up of call c7 by agent101", database.write("w7"))
    assert database.written == []
    assert ("2 write(s) never written, lost: CallEnded of call c7; wrap-up of call c7 by "
            "agent101") in caplog.text
