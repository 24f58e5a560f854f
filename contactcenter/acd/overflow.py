"""Overflow decisions (pure): when a caller leaves a queue, and for where.

Rules are tried in the order queues.yaml lists them; the first that holds wins.
- At entry: a caller who finds the queue at max_waiting goes to the queue's limit
  destination; an `above_waiting: N` rule takes a caller who would make it more than N.
  The newcomer is the one who moves, so the callers already waiting keep their places.
- While waiting: an `after_seconds: N` rule takes a caller once they waited N seconds in
  this queue (counted from when they joined it, so a chain of overflows does not fire
  all at once); max_wait_seconds sends them to the limit destination.
- The limit destination is the first rule's; a queue with no rule plays the all-busy
  message and hangs up.
A caller moved by an overflow is never refused by the next queue's limits, so limits
cannot bounce a caller between queues. A queued callback (nobody on the line) never
overflows: it keeps its place until an agent calls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contactcenter.acd.routing import WaitingCall
from contactcenter.queue_config import OverflowRule, QueueDefinition

ALL_BUSY = OverflowRule("message", "all-busy")


def destination(rule: OverflowRule) -> str:
    """`queue:<name>`, `voicemail`, `callback` or `message:<prompt>`, as in queues.yaml."""
    return f"{rule.kind}:{rule.target}" if rule.target else rule.kind


def limit_rule(definition: QueueDefinition) -> OverflowRule:
    return definition.overflow[0] if definition.overflow else ALL_BUSY


def at_entry(definition: QueueDefinition | None, others_waiting: int) -> OverflowRule | None:
    """Where a new caller goes instead of joining, given how many already wait; None: joins."""
    if definition is None:
        return None
    if definition.max_waiting and others_waiting >= definition.max_waiting:
        return limit_rule(definition)
    return next((rule for rule in definition.overflow if rule.above_waiting is not None
                 and others_waiting + 1 > rule.above_waiting), None)


def while_waiting(definition: QueueDefinition | None, waited_s: float) -> OverflowRule | None:
    """Where a caller who has waited `waited_s` in this queue goes now; None: stays."""
    if definition is None:
        return None
    rule = next((rule for rule in definition.overflow if rule.after_seconds is not None
                 and waited_s >= rule.after_seconds), None)
    if rule is None and definition.max_wait_seconds and waited_s >= definition.max_wait_seconds:
        return limit_rule(definition)
    return rule


def overflows_due(calls: Iterable[WaitingCall], definitions: Mapping[str, QueueDefinition],
                  joined: Mapping[str, float], now: float,
                  ) -> list[tuple[WaitingCall, OverflowRule]]:
    """The waiting calls that must leave their queue now, in service order of entry.
    `joined` is when each call joined its current queue (default: its entry time)."""
    due = []
    for call in sorted(calls, key=lambda c: (c.entered_at, c.call_id)):
        if call.callback:
            continue
        rule = while_waiting(definitions.get(call.queue),
                             now - joined.get(call.call_id, call.entered_at))
        if rule is not None:
            due.append((call, rule))
    return due

