"""The event bus fans every event out to every open subscription that reads it, and forgets
closed ones; the event unions make an unhandled event a type error."""

from __future__ import annotations

import typing

import mypy.api

from contactcenter.acd.events import AcdEvent, CallQueued
from contactcenter.crm_link.events import CrmLinkEvent
from contactcenter.cti.events import CtiEvent, LinkDown
from contactcenter.events import BusConsumer, EventBus
from contactcenter.health import STORE, HealthEvent, PartDown, PartUp
from contactcenter.ivr.events import IvrEvent


async def test_every_subscriber_gets_every_event_in_order() -> None:
    bus = EventBus()
    with bus.subscribe() as first, bus.subscribe() as second:
        bus.publish("a")
        bus.publish("b")
        assert [first.get_nowait(), first.get_nowait()] == ["a", "b"]
        assert [second.get_nowait(), second.get_nowait()] == ["a", "b"]
    assert bus.subscribers == 0
    bus.publish("after")  # nobody listening: dropped, no error


async def test_closed_subscription_receives_nothing_more() -> None:
    bus = EventBus()
    with bus.subscribe() as queue:
        bus.publish(1)
    bus.publish(2)
    assert queue.qsize() == 1


async def test_a_consumer_whose_handler_fails_logs_it_and_reads_on(caplog) -> None:
    bus = EventBus()
    handled: list[object] = []

    async def handle(event: object) -> None:
        if event == "poison":
            raise RuntimeError("boom")
        handled.append(event)

    async with BusConsumer(bus, handle, "test-consumer"):
        for event in ("a", "poison", "b"):
            bus.publish(event)
    assert handled == ["a", "b"]
    assert "test-consumer: handling 'poison' failed" in caplog.text


async def test_a_consumer_reads_only_what_its_handler_takes() -> None:
    """The handler's annotation is the subscription: a union of events, or one class."""
    bus = EventBus()
    seen: list[object] = []

    async def health(event: HealthEvent) -> None:
        seen.append(event)

    down, up = PartDown(STORE, "gone", 1.0), PartUp(STORE, 2.0)
    async with BusConsumer(bus, health, "health-only"):
        for event in (LinkDown(at=0.5), down, CallQueued("c1", "sales", "100", 0.0), up):
            bus.publish(event)
    assert seen == [down, up]


def test_an_event_added_to_a_union_fails_type_checking_where_unhandled(tmp_path) -> None:
    """mypy on consumers written against the real unions: one matching every member type
    checks, the same one after a new event joins the union does not (assert_never)."""
    imports, aliases = [], []
    for union in (CtiEvent, AcdEvent, IvrEvent, CrmLinkEvent, HealthEvent):
        members = typing.get_args(union) or (union,)
        imports += [f"from {kind.__module__} import {kind.__name__}" for kind in members]
        aliases.append(" | ".join(kind.__name__ for kind in members))
    names = " | ".join(aliases).split(" | ")
    cases = "\n".join(f"        case {name}():\n            pass" for name in names)
    for module, event in (("handled", " | ".join(names)),
                          ("grown", " | ".join([*names, "CallParked"]))):
        (tmp_path / f"{module}.py").write_text("\n".join([
            "from dataclasses import dataclass", "from typing import assert_never", *imports,
            "@dataclass(frozen=True)", "class CallParked:", "    call_id: str",
            f"def handle(event: {event}) -> None:", "    match event:", cases,
            "        case _:", "            assert_never(event)", ""]))
    out, _err, status = mypy.api.run([
        "--no-incremental", "--follow-imports=silent", "--no-error-summary",
        "--config-file=", str(tmp_path / "handled.py"), str(tmp_path / "grown.py")])
    assert status == 1
    assert out.splitlines() == [line for line in out.splitlines() if "grown.py" in line]
    assert '"assert_never" has incompatible type "CallParked"' in out
