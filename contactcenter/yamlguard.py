"""The YAML files admins edit (flows, flow tests, queues.yaml), read so that no file can
hurt the platform: a file over MAX_BYTES, bytes that are not UTF-8, a NUL or another
control character, nesting deeper than MAX_DEPTH or an alias (the "billion laughs" bomb
expands aliases of aliases) is refused as a FlowError at its line and column, like any
other mistake. Nothing here knows what a flow or a queue is; ivr/ and acd/ read through it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent

from contactcenter.errors import FlowError

MAX_BYTES = 256 * 1024  # the shipped flows are under 3 KiB; parsing grows with the size
MAX_DEPTH = 32  # a flow nests about 6 deep; deep nesting exhausts the parser's stack
# What YAML 1.2 allows in a stream (ruamel's Reader refuses the rest, without a line)
FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_text(path: str | Path) -> str:
    """The file as text, or FlowError: unreadable, over MAX_BYTES, or not UTF-8."""
    file = str(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise FlowError(exc.strerror or str(exc), file, 1, 1) from exc
    if len(data) > MAX_BYTES:
        raise FlowError(f"file is larger than {MAX_BYTES // 1024} KiB, the limit for a YAML "
                        "file an admin edits", file, 1, 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data[:exc.start].decode("utf-8", errors="replace"),
                                 exc.start)
        raise FlowError(f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be read; save the "
                        "file as UTF-8", file, line, column) from exc


def parse(text: str, file: str) -> Any:
    """The document (ruamel round-trip nodes, which keep their line and column), or
    FlowError at the first problem."""
    if (bad := FORBIDDEN.search(text)) is not None:
        code = ord(bad.group())
        what = "a NUL byte" if code == 0 else f"control character U+{code:04X}"
        raise FlowError(f"{what} is not allowed in YAML", file, *_position(text, bad.start()))
    yaml = YAML(typ="rt")
    yaml.Composer = _GuardedComposer
    yaml.Constructor = _PositionedConstructor
    try:
        return yaml.load(text)
    except _Refused as exc:
        raise FlowError(exc.problem, file, *_mark(exc)) from exc
    except MarkedYAMLError as exc:
        raise FlowError(f"YAML syntax: {exc.problem or exc}", file, *_mark(exc)) from exc
    except Exception as exc:  # ruamel's own failure on text nobody meant to be YAML
        raise FlowError(f"YAML: cannot read this text ({type(exc).__name__}: {exc})", file,
                        1, 1) from exc


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of `index` in `text`."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _mark(exc: MarkedYAMLError) -> tuple[int, int]:
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


class _Refused(MarkedYAMLError):
    """A document this module refuses (alias, nesting, a value that cannot be built)."""


class _GuardedComposer(Composer):
    """Refuses aliases and nesting deeper than MAX_DEPTH before any node is built."""

    _nesting = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if self.parser.check_event(AliasEvent):
            raise _Refused(problem=f"alias *{event.anchor} is not allowed: write the value "
                           "out where it is needed", problem_mark=event.start_mark)
        if self._nesting >= MAX_DEPTH:
            raise _Refused(problem=f"nested more than {MAX_DEPTH} levels deep",
                           problem_mark=event.start_mark)
        self._nesting += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1


class _PositionedConstructor(RoundTripConstructor):
    """A value that cannot be built (2024-13-45 as a date, an integer of 5,000 digits,
    `!!set` on a scalar) raises a bare ValueError, KeyError or AttributeError in ruamel;
    here it is refused at the node's position."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except YAMLError:
            raise
        except Exception as exc:
            kind = str(node.tag).rsplit(":", 1)[-1]
            why = f": {str(exc).split(';')[0]}" if isinstance(exc, ValueError) else ""
            raise _Refused(problem=f"cannot read value {str(node.value)[:40]!r} as {kind}"
                           f"{why}", problem_mark=node.start_mark) from exc
