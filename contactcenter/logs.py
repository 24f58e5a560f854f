"""Logging set-up: plain text for a terminal, one JSON object per line for collectors.

Modules log with `logging.getLogger(__name__)`. A line about a call carries the call's id,
queue and agent as the fields `call_id`, `queue` and `agent` (keys in JSON, a trailing
`[call_id=... queue=... agent=...]` in text), so one grep finds a call's whole story:
- explicitly, `log.warning(..., extra=call_fields(call_id, queue, agent))`;
- or from the call context: a bus consumer handles each event inside the context of the
  call it is about (events.BusConsumer), and a FastAGI session inside its call's, so any
  line logged meanwhile carries them. Explicit fields win over the context's.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

CALL_FIELDS = ("call_id", "queue", "agent")
CallFields = dict[str, str | None]
_context: ContextVar[CallFields | None] = ContextVar("call_context", default=None)


def call_fields(call_id: str | None = None, queue: str | None = None,
                agent: str | None = None) -> CallFields:
    """`extra=` for a line about one call (None: not known, and not taken from context)."""
    return {"call_id": call_id or None, "queue": queue or None, "agent": agent or None}


@contextlib.contextmanager
def call_context(call_id: str | None = None, queue: str | None = None,
                 agent: str | None = None) -> Iterator[None]:
    """Lines logged inside (and in tasks started inside) carry these call fields."""
    token = _context.set(call_fields(call_id, queue, agent))
    try:
        yield
    finally:
        _context.reset(token)


def event_context(event: object) -> contextlib.AbstractContextManager[None]:
    """The call context of a bus event: its call_id (or a channel's uniqueid), queue and
    agent_id, those it has."""
    return call_context(getattr(event, "call_id", None) or getattr(event, "uniqueid", None),
                        getattr(event, "queue", None), getattr(event, "agent_id", None))


class CallFieldsFilter(logging.Filter):
    """Gives every record the call fields: its own `extra=`, else the call context's."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        for key in CALL_FIELDS:
            if not hasattr(record, key):
                setattr(record, key, context.get(key))
        return True


class TextFormatter(logging.Formatter):
    """The message, then the call fields that are known (before any traceback)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        known = " ".join(f"{key}={value}" for key in CALL_FIELDS
                         if (value := getattr(record, key, None)))
        return f"{text} [{known}]" if known else text


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=True)
        )
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(CallFieldsFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
