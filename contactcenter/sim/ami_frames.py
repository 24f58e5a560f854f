"""AMI framing as Asterisk 20 does it: actions in, responses and events out, as pure functions.

Asterisk ends a line at LF and trims trailing blanks (a value ``evil\\r`` arrives as ``evil``:
ami-transcript.log at 30.851), and the first header of a name wins when read.
"""

from __future__ import annotations

from dataclasses import dataclass

Fields = list[tuple[str, str]]


@dataclass(frozen=True)
class Action:
    """One AMI action as received: headers in order, repeated names kept (Originate Variable)."""

    headers: tuple[tuple[str, str], ...]

    def get(self, name: str, default: str = "") -> str:
        """The first header called ``name`` (case-insensitive), as Asterisk's astman_get_header."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def name(self) -> str:
        return self.get("Action")

    @property
    def action_id(self) -> str:
        return self.get("ActionID")


def parse_action(block: bytes) -> Action:
    """One action block (without its blank terminator line) into an Action."""
    headers: list[tuple[str, str]] = []
    for raw in block.split(b"\n"):
        line = raw.decode("utf-8", errors="replace").rstrip(" \t\r")
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        headers.append((key.strip(), value.lstrip(" ")))
    return Action(tuple(headers))


class ActionSplitter:
    """Cuts a byte stream into action blocks at the first empty line (LF or CRLF endings)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._lines: list[bytes] = []

    def feed(self, data: bytes) -> list[Action]:
        self._buffer.extend(data)
        actions: list[Action] = []
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if line.rstrip(b" \t\r"):
                self._lines.append(line)
            elif self._lines:
                actions.append(parse_action(b"\n".join(self._lines)))
                self._lines = []
        return actions


def format_message(fields: Fields) -> bytes:
    """Headers as ``Key: Value\\r\\n`` lines ended by an empty line, as manager.c writes them."""
    return "".join(f"{key}: {value}\r\n" for key, value in fields).encode() + b"\r\n"


def response(action: Action, status: str, *extra: tuple[str, str]) -> Fields:
    """``Response``, then ``ActionID`` when the action had one, then the rest (transcript order)."""
    fields: Fields = [("Response", status)]
    if action.action_id:
        fields.append(("ActionID", action.action_id))
    fields.extend(extra)
    return fields
