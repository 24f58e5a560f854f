"""The speech package's error: prompts that cannot be rendered, audio that cannot be read,
recognisers that cannot load or fail."""

from __future__ import annotations

from contactcenter.errors import ContactCenterError


class SpeechError(ContactCenterError):
    """A prompt could not be rendered (no espeak-ng, no sox, or an engine failure), or audio
    could not be read or recognised."""
