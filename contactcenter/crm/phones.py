"""Phone numbers in E.164, whatever way a caller ID or a form writes them."""

from __future__ import annotations

import functools

import phonenumbers

from contactcenter.crm.errors import ValidationError

DEFAULT_REGION = "US"  # how a number without a country code is read


def to_e164(raw: str, region: str = DEFAULT_REGION, field: str = "phone") -> str:
    """'+1 (415) 555-0123', '4155550123', '0044 20 7183 8750' -> '+14155550123' ...

    Raises ValidationError for text that is not a possible number.
    """
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(field, f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(field, f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=4096)
def maybe_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 for lookups: a caller ID like 'anonymous' or '' matches nobody (None).

    Cached: the same callers ring again and again, and parsing is the costly part.
    """
    try:
        return to_e164(raw, region)
    except ValidationError:
        return None
