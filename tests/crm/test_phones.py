from __future__ import annotations

import pytest

from contactcenter.crm.errors import ValidationError
from contactcenter.crm.phones import maybe_e164, to_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+14155550123", "US", "+14155550123"),
        ("(415) 555-0123", "US", "+14155550123"),
        ("415.555.0123", "US", "+14155550123"),
        ("1 415 555 0123", "US", "+14155550123"),
        ("+44 20 7183 8750", "US", "+442071838750"),
        ("0044 20 7183 8750", "US", "+442071838750"),
        ("020 7183 8750", "GB", "+442071838750"),
    ],
)
def test_any_format_becomes_e164(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "anonymous", "12", "not a number", "+1 415 555 0123 999 999"])
def test_non_numbers_are_refused_with_the_field(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        to_e164(raw, field="phones")
    assert caught.value.field == "phones"
    assert maybe_e164(raw) is None
