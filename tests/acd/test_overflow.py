"""Overflow decisions from plain values: limits at entry, rules in order, timers per queue."""

from __future__ import annotations

from contactcenter.acd.overflow import (
    ALL_BUSY,
    at_entry,
    destination,
    overflows_due,
    while_waiting,
)
from contactcenter.acd.routing import WaitingCall
from contactcenter.queue_config import OverflowRule, QueueDefinition

TO_OPERATOR = OverflowRule("queue", "operator", after_seconds=300)
TO_CALLBACK = OverflowRule("callback", above_waiting=40)
TO_VOICEMAIL = OverflowRule("voicemail", after_seconds=600)
BILLING = QueueDefinition("billing", max_waiting=50, max_wait_seconds=900,
                          overflow=(TO_OPERATOR, TO_CALLBACK))


def test_destinations_read_as_in_queues_yaml() -> None:
    assert destination(TO_OPERATOR) == "queue:operator"
    assert destination(TO_CALLBACK) == "callback"
    assert destination(ALL_BUSY) == "message:all-busy"


def test_a_caller_joins_while_the_queue_is_below_its_limits() -> None:
    assert at_entry(BILLING, 0) is None
    assert at_entry(BILLING, 39) is None  # the 40th caller: not above 40
    assert at_entry(None, 10_000) is None  # an undefined queue has no limits


def test_above_waiting_takes_the_caller_who_would_make_it_too_many() -> None:
    assert at_entry(BILLING, 40) is TO_CALLBACK


def test_a_full_queue_sends_the_newcomer_to_the_first_rules_destination() -> None:
    full = QueueDefinition("billing", max_waiting=3, overflow=(TO_OPERATOR, TO_CALLBACK))
    assert at_entry(full, 2) is None
    assert at_entry(full, 3) is TO_OPERATOR


def test_a_full_queue_without_rules_plays_all_busy() -> None:
    assert at_entry(QueueDefinition("q", max_waiting=1), 1) is ALL_BUSY
    assert at_entry(QueueDefinition("q"), 1_000) is None  # 0 means no limit


def test_after_seconds_fires_once_waited_long_enough() -> None:
    assert while_waiting(BILLING, 299.9) is None
    assert while_waiting(BILLING, 300.0) is TO_OPERATOR
    assert while_waiting(None, 1e9) is None


def test_the_first_rule_that_holds_wins() -> None:
    early = OverflowRule("message", "closing", after_seconds=10)
    late = OverflowRule("queue", "operator", after_seconds=5)
    definition = QueueDefinition("q", overflow=(early, late))
    assert while_waiting(definition, 7) is late
    assert while_waiting(definition, 11) is early


def test_max_wait_sends_to_the_limit_destination() -> None:
    definition = QueueDefinition("q", max_wait_seconds=60, overflow=(TO_CALLBACK,))
    assert while_waiting(definition, 59) is None
    assert while_waiting(definition, 60) is TO_CALLBACK
    assert while_waiting(QueueDefinition("q", max_wait_seconds=60), 61) is ALL_BUSY


def test_overflows_due_counts_from_joining_the_current_queue() -> None:
    definitions = {"billing": BILLING,
                   "operator": QueueDefinition("operator", overflow=(TO_VOICEMAIL,))}
    calls = [WaitingCall("late", "c1", "billing", 100.0),
             WaitingCall("early", "c0", "billing", 50.0),
             WaitingCall("fresh", "c2", "billing", 390.0),
             WaitingCall("moved", "c3", "operator", 0.0),  # entered long ago, joined at 300
             WaitingCall("lost", "c4", "nowhere", 0.0)]
    due = overflows_due(calls, definitions, {"moved": 300.0}, now=400.0)
    assert [(c.call_id, rule) for c, rule in due] == [("early", TO_OPERATOR),
                                                     ("late", TO_OPERATOR)]
    later = overflows_due(calls, definitions, {"moved": 300.0}, now=900.0)
    assert ("moved", TO_VOICEMAIL) in [(c.call_id, r) for c, r in later]
