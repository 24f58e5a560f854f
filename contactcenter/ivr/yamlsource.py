"""YAML that remembers where things are: ruamel keeps the line and column of every node, so
flow files and flow test files report each mistake as `file:line:column: message`. Files
are read through contactcenter/yamlguard.py, so a hostile one is a mistake like any other."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from contactcenter import yamlguard
from contactcenter.errors import FlowError


@dataclass
class Errors:
    """Every problem found in one file, each at the line and column of its YAML node."""

    file: str
    found: list[FlowError] = field(default_factory=list)

    def add(self, node: Any, message: str, key: Any = None) -> None:
        line, column = position(node, key)
        self.found.append(FlowError(message, self.file, line, column))


def position(node: Any, key: Any = None) -> tuple[int, int]:
    """1-based line and column of `node` (or of `key` inside it) as ruamel recorded them."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return 0, 0
    if key is not None:
        try:
            if isinstance(node, CommentedMap):
                line, col = lc.key(key)
            else:
                line, col = lc.item(key)
            return line + 1, col + 1
        except (KeyError, IndexError, TypeError):
            pass
    return lc.line + 1, lc.col + 1


def load_yaml(text: str, errors: Errors) -> Any:
    """The document with positions, or None after adding its problem to `errors`."""
    try:
        return yamlguard.parse(text, errors.file)
    except FlowError as exc:
        errors.found.append(exc)
        return None


def read_yaml(path: str | Path, errors: Errors) -> Any:
    """The file's document with positions, or None after adding its problem to `errors`
    (unreadable, too large, not UTF-8, or any problem load_yaml finds)."""
    try:
        text = yamlguard.read_text(path)
    except FlowError as exc:
        errors.found.append(exc)
        return None
    return load_yaml(text, errors)
