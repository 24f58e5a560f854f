"""The CallerID the platform puts on an agent's leg: `"name" <number>`, built from what the
caller sent. The caller controls both parts (a SIP display name, a CNAM lookup), so they are
cleaned first: a CR or LF would be refused at the AMI socket (cti/frames.py) and the call
could never be offered, and a quote or angle bracket would let the name pose as the number
on the agent's phone.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")  # CR, LF, tab, escape, and C1 controls
NAME_UNSAFE = re.compile(r'["<>\\]')
NUMBER_SAFE = re.compile(r"[^0-9A-Za-z+*#._@-]")  # digits, or a SIP user such as anonymous
MAX_NAME = 80  # Asterisk's AST_MAX_EXTENSION-sized fields; phones show far less
MAX_NUMBER = 40


def clean_name(name: str) -> str:
    """The caller's name with control characters as spaces and no quote, bracket or
    backslash, spaces collapsed, at most MAX_NAME characters."""
    text = NAME_UNSAFE.sub("", CONTROL.sub(" ", name))
    return " ".join(text.split())[:MAX_NAME]


def clean_number(number: str) -> str:
    """The caller's number with anything but digits, + * # and SIP user characters
    dropped, at most MAX_NUMBER characters."""
    return NUMBER_SAFE.sub("", number)[:MAX_NUMBER]


def caller_id(name: str, number: str) -> str:
    """`"name" <number>`, both cleaned: always safe as an AMI CallerID header."""
    return f'"{clean_name(name)}" <{clean_number(number)}>'
