"""Reader for the captured Asterisk transcripts (tests/fixtures/asterisk-20/*.log), shared
by the replay tests and bench/ami_ingest.py: rows are `seconds direction repr(bytes)`."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

_ROW = re.compile(r"\s*(?P<at>[\d.]+) (?:\[(?P<tag>\w+)\] )?(?P<dir>>>|<<) (?P<data>b['\"].*)$")


@dataclass(frozen=True)
class Row:
    at: float
    sent: bool  # True for `>>` (client to Asterisk)
    data: bytes


def read_rows(path: str | Path, connection: str = "") -> list[Row]:
    """The rows of one connection: the main one by default, or e.g. `conn0`."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match is None or (match["tag"] or "") != connection:
            continue  # also skips notes such as `[conn0] >> bad login`
        rows.append(Row(float(match["at"]), match["dir"] == ">>",
                        ast.literal_eval(match["data"])))
    return rows


def received_bytes(path: str | Path, connection: str = "") -> bytes:
    """Everything Asterisk sent on one connection, as one byte string."""
    return b"".join(row.data for row in read_rows(path, connection) if not row.sent)
