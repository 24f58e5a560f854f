"""Queue definitions: the per-queue limits, timers, overflow rules and announcements the
ACD applies, read from flows/queues.yaml. A bad file raises FlowError with file, line and
column, so an admin can jump to the mistake; nothing half-loaded is ever returned.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from contactcenter import yamlguard
from contactcenter.errors import FlowError

QUEUES_FILE = "queues.yaml"  # beside the flows
OVERFLOW_KINDS = ("queue", "voicemail", "callback", "message")
Number = TypeVar("Number", int, float)


@dataclass(frozen=True)
class OverflowRule:
    """Leave the queue for `target` once waited `after_seconds` or when more than
    `above_waiting` callers wait (whichever the rule names). kind is one of OVERFLOW_KINDS;
    target is the queue name or message prompt ("" for voicemail and callback)."""

    kind: str
    target: str = ""
    after_seconds: float | None = None
    above_waiting: int | None = None


@dataclass(frozen=True)
class Announcements:
    """Position and estimated wait told on entry and then every `every_seconds` (0: never)."""

    on_entry: bool = True
    every_seconds: float = 0.0


@dataclass(frozen=True)
class QueueDefinition:
    name: str
    description: str = ""
    wrap_up_seconds: float = 5.0
    ring_timeout_seconds: float = 15.0
    max_waiting: int = 0  # 0: no limit
    max_wait_seconds: float = 0.0  # 0: no limit
    service_level_seconds: float = 20.0
    service_level_target_pct: float = 80.0  # the share to answer within service_level_seconds
    short_abandon_seconds: float = 5.0  # a caller gone sooner is a short abandon (apart)
    aging_seconds: float = 0.0  # a call gains one priority step per this many seconds; 0: off
    overflow: tuple[OverflowRule, ...] = ()
    announcements: Announcements = Announcements()
    after_call: str = ""  # the flow a caller goes on to when their agent hangs up ("": none)


_NUMBERS = {"wrap_up_seconds": float, "ring_timeout_seconds": float, "max_waiting": int,
            "max_wait_seconds": float, "service_level_seconds": float, "aging_seconds": float,
            "service_level_target_pct": float, "short_abandon_seconds": float}
_KEYS = {"description", "overflow", "announce", "after_call", *_NUMBERS}
FLOW_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")  # a flow file's name: safe in a dialplan exten


def load_queue_definitions(path: str | Path, known_flows: Collection[str] | None = None,
                           ) -> dict[str, QueueDefinition]:
    """Every queue in a queues.yaml, by name; FlowError(file, line, column) on bad input.
    known_flows: the flows an after_call may name (None: not checked, as at run time)."""
    file = str(path)
    doc = yamlguard.parse(yamlguard.read_text(path), file)  # a hostile file: a FlowError
    if not isinstance(doc, CommentedMap) or not isinstance(doc.get("queues"), CommentedMap):
        raise FlowError("expected a 'queues:' mapping of queue name to settings", file, 1, 1)
    queues = doc["queues"]
    for name in queues:
        if not isinstance(name, str):
            raise FlowError(f"queue name {name!r} must be text", file, *_key_at(queues, name))
    definitions = {name: _queue(file, queues, name) for name in queues}
    for definition in definitions.values():
        for index, rule in enumerate(definition.overflow):
            if rule.kind == "queue" and rule.target not in definitions:
                node = queues[definition.name]["overflow"]
                raise FlowError(f"overflow to unknown queue {rule.target!r}", file,
                                *_at(node, index))
        if known_flows is not None and definition.after_call not in (*known_flows, ""):
            raise FlowError(f"queue {definition.name!r}: after_call names no flow "
                            f"{definition.after_call!r} (known: "
                            f"{', '.join(sorted(known_flows)) or 'none'})", file,
                            *_at(queues[definition.name], "after_call"))
    return definitions


def _key_at(node: CommentedMap, key: Any) -> tuple[int, int]:
    line, column = node.lc.key(key)
    return line + 1, column + 1


def _at(node: Any, key: Any) -> tuple[int, int]:
    """1-based line and column of `key`'s value in a ruamel map or sequence."""
    if isinstance(node, CommentedMap) and key in node:
        line, column = node.lc.value(key)
    elif isinstance(node, CommentedSeq):
        line, column = node.lc.item(key)
    else:
        line, column = node.lc.line, node.lc.col
    return line + 1, column + 1


def _queue(file: str, queues: CommentedMap, name: str) -> QueueDefinition:
    body = queues[name]
    if body is None:
        return QueueDefinition(name=name)
    if not isinstance(body, CommentedMap):
        raise FlowError(f"queue {name!r}: expected a mapping of settings", file,
                        *_at(queues, name))
    for key in body:
        if key not in _KEYS:
            raise FlowError(f"queue {name!r}: unknown setting {key!r} (known: "
                            f"{', '.join(sorted(_KEYS))})", file, *_at_key(body, key))
    values: dict[str, Any] = {}
    for key, kind in _NUMBERS.items():
        if key in body:
            values[key] = _number(file, body, key, kind)
    if not 0 < values.get("service_level_target_pct", 80.0) < 100:
        raise FlowError(f"queue {name!r}: service_level_target_pct must be a percentage "
                        "above 0 and below 100 (no number of agents answers every call "
                        "in time)", file, *_at(body, "service_level_target_pct"))
    overflow = body.get("overflow") or CommentedSeq()
    if not isinstance(overflow, CommentedSeq):
        raise FlowError(f"queue {name!r}: overflow must be a list of rules", file,
                        *_at(body, "overflow"))
    after_call = str(body.get("after_call") or "")
    if after_call and not FLOW_NAME.fullmatch(after_call):
        raise FlowError(f"queue {name!r}: after_call must name a flow (lowercase letters, "
                        f"digits, - and _), not {after_call!r}", file, *_at(body, "after_call"))
    return QueueDefinition(
        name=name, description=str(body.get("description") or ""),
        overflow=tuple(_overflow(file, overflow, i) for i in range(len(overflow))),
        announcements=_announcements(file, body), after_call=after_call, **values)


def _at_key(node: CommentedMap, key: Any) -> tuple[int, int]:
    line, column = node.lc.key(key)
    return line + 1, column + 1


def _number(file: str, node: CommentedMap, key: str, kind: type[Number]) -> Number:
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (
            kind is int and not isinstance(value, int)):
        expected = "a whole number" if kind is int else "a number"
        raise FlowError(f"{key} must be {expected} >= 0, not {value!r}", file, *_at(node, key))
    return kind(value)


def _overflow(file: str, rules: CommentedSeq, index: int) -> OverflowRule:
    rule = rules[index]
    if not isinstance(rule, CommentedMap) or "to" not in rule:
        raise FlowError("an overflow rule is a mapping with 'to:' and 'after_seconds:' or "
                        "'above_waiting:'", file, *_at(rules, index))
    unknown = set(rule) - {"to", "after_seconds", "above_waiting"}
    if unknown:
        key = sorted(unknown)[0]
        raise FlowError(f"overflow rule: unknown setting {key!r}", file, *_at_key(rule, key))
    if "after_seconds" not in rule and "above_waiting" not in rule:
        raise FlowError("overflow rule needs after_seconds or above_waiting", file,
                        *_at(rules, index))
    kind, _, target = str(rule["to"]).partition(":")
    if kind not in OVERFLOW_KINDS or (kind in ("queue", "message")) != bool(target):
        raise FlowError(f"overflow to {rule['to']!r}: expected queue:<name>, voicemail, "
                        "callback or message:<prompt>", file, *_at(rule, "to"))
    return OverflowRule(
        kind=kind, target=target,
        after_seconds=_number(file, rule, "after_seconds", float)
        if "after_seconds" in rule else None,
        above_waiting=_number(file, rule, "above_waiting", int)
        if "above_waiting" in rule else None)


def _announcements(file: str, body: CommentedMap) -> Announcements:
    node = body.get("announce")
    if node is None:
        return Announcements()
    if not isinstance(node, CommentedMap) or set(node) - {"on_entry", "every_seconds"}:
        raise FlowError("announce takes on_entry (true/false) and every_seconds", file,
                        *_at(body, "announce"))
    on_entry = node.get("on_entry", True)
    if not isinstance(on_entry, bool):
        raise FlowError("announce.on_entry must be true or false", file,
                        *_at(node, "on_entry"))
    every = _number(file, node, "every_seconds", float) if "every_seconds" in node else 0.0
    return Announcements(on_entry=on_entry, every_seconds=every)


def queue_names(path: Path, known_flows: Collection[str],
                errors: list[str]) -> set[str] | None:
    """The queue names of a queues.yaml, for the flows that name them (a broken file, or
    an after_call naming none of `known_flows`, is appended to `errors` once, with its
    position); None when there is no such file."""
    if not path.exists():
        return None
    try:
        return set(load_queue_definitions(path, known_flows))
    except FlowError as exc:
        errors.append(str(exc))
        return None
