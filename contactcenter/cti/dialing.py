"""Numbers the platform dials: callbacks, transfers, click-to-dial. One rule, so the IVR,
the ACD and the console agree on what can be called, and nothing else ever becomes the
extension of a Dial: digits with an optional leading +, at most E.164's 15."""

from __future__ import annotations

import re

DIALABLE = re.compile(r"\+?[0-9]{3,15}")
SEPARATORS = re.compile(r"[\s().-]")  # what people type between digits


def dialable(number: str) -> bool:
    """Whether `number` (a caller ID, as it is) can be dialled."""
    return DIALABLE.fullmatch(number) is not None


def dial_number(text: str) -> str | None:
    """`text` as typed or spoken ("+1 (415) 555-0123") as a number to dial; None if it
    is not one."""
    number = SEPARATORS.sub("", text)
    return number if dialable(number) else None
