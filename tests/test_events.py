"""The event bus fans every event out to every open subscription, and forgets closed ones."""

from __future__ import annotations

from contactcenter.events import BusConsumer, EventBus


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
