"""What the platform may dial: a caller ID as it is, or a number as a person typed it."""

from __future__ import annotations

import pytest

from contactcenter.cti.dialing import dial_number, dialable


@pytest.mark.parametrize(("number", "ok"), [("+14155550123", True), ("5551234", True),
                                            ("", False), ("anonymous", False), ("12", False),
                                            ("+1 415", False), ("1" * 16, False)])
def test_only_a_plain_number_can_be_called_back(number: str, ok: bool) -> None:
    assert dialable(number) is ok


@pytest.mark.parametrize(("text", "number"), [("+1 (415) 555-0123", "+14155550123"),
                                              ("555.1234", "5551234"), ("1-800-FLOWERS", None),
                                              ("9 9", None), ("+1 415\r\nHangup", None)])
def test_typed_separators_are_dropped_and_anything_else_refused(text: str,
                                                                number: str | None) -> None:
    assert dial_number(text) == number
