"""The console's one request-validation layer: every JSON body, field, path id and token a
route reads goes through here, so a malformed request gets 400 with {"error": ...} saying
what is wrong, never a 500 from deep inside nor a 409 blaming the state of things.

Types are what they say: a phone number is a JSON string ("+15550100"), never a number
that would be coerced (15550100.5 once became 155501005), an id is a whole number that fits
the database, text is text.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web

MAX_ID = 2**63 - 1  # a signed 64-bit key: larger ids overflow SQLite and PostgreSQL


class BadRequest(web.HTTPBadRequest):
    """400 with a JSON body naming the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(text=json.dumps({"error": message}), content_type="application/json")


def error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    """An HTTP error of `status` with the same JSON body as BadRequest's."""
    return status(text=json.dumps({"error": message}), content_type="application/json")


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object ({} when empty)."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, syntax, 5,000-digit numbers
        raise BadRequest(f"malformed JSON: {str(exc)[:200]}") from exc
    if not isinstance(body, dict):
        raise BadRequest(f"expected a JSON object, got {_kind(body)}")
    return body


def text(body: dict[str, Any], key: str, default: str = "") -> str:
    """A string field; `default` when absent or null."""
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"{key}: expected a string, got {_kind(value)}")
    return value


def optional_text(body: dict[str, Any], key: str) -> str | None:
    """A string field; None when absent, null or empty."""
    return text(body, key) or None


def optional_id(body: dict[str, Any], key: str) -> int | None:
    """A record id field; None when absent, null or empty."""
    value = body.get(key)
    return None if value in (None, "") else _record_id(key, value)


def path_id(request: web.Request, key: str) -> int:
    """A record id from the path (its route lets digits only through)."""
    return _record_id(key, request.match_info[key])


def _record_id(key: str, value: object) -> int:
    """A whole number (or its digits as a string) from 1 to MAX_ID."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise BadRequest(f"{key}: expected a record id (a whole number from 1 to "
                         f"{MAX_ID}), got {_kind(value)}")
    return value


def optional_int(body: dict[str, Any], key: str) -> int | None:
    """A whole-number field (a JSON number without fraction, never a string or a
    boolean); None when absent or null."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{key}: expected a whole number, got {_kind(value)}")
    return value


def flag(body: dict[str, Any], key: str) -> bool:
    """A true/false field; false when absent or null."""
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequest(f"{key}: expected true or false, got {_kind(value)}")
    return value


def object_field(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    """A JSON object field; None when absent or null."""
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise BadRequest(f"{key}: expected an object, got {_kind(value)}")
    return value


def string_list(body: dict[str, Any], key: str) -> list[str] | None:
    """A list of strings; None when absent or null."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"{key}: expected a list of strings, got {_kind(value)}")
    return value


def token_matches(given: str, expected: str) -> bool:
    """Whether a token sent by the client is `expected` (in constant time); a token that
    is not ASCII is malformed, not merely wrong."""
    if not given.isascii():
        raise BadRequest("the token is not ASCII")
    return hmac.compare_digest(given, expected)


def _kind(value: object) -> str:
    """How a JSON value reads in an error message: its type, and the value when short."""
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "an object", type(None): "null"}.get(type(value), "?")
    shown = json.dumps(value, default=str)
    return f"{kind} {shown}" if len(shown) <= 40 else kind
