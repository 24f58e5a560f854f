"""AMI wire format as pure functions over bytes: split and parse incoming frames, encode
outgoing actions. No sockets here, so the fixtures test it directly.

Why not panoramisk's own parsing: it decodes each TCP chunk with errors='ignore' (a UTF-8
character split across reads is dropped), splits on the global `utils.EOL` that
panoramisk.testing rewrites to "\\n", sorts action headers and never escapes values.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterable

from panoramisk.message import Message

from contactcenter.errors import UnsafeValueError

log = logging.getLogger(__name__)

EOL = "\r\n"
FRAME_END = "\r\n\r\n"
BANNER = "Asterisk Call Manager/"
MAX_FRAME = 1024 * 1024  # a frame bigger than this is dropped, the link survives


class FrameReader:
    """Turns a byte stream into AMI messages; survives split UTF-8, garbage and huge frames.

    `events`: the event names a reader wants (None: all). Other events are skipped before
    they are parsed (wanted()): an Asterisk older than 20.11 ignores manager.conf's
    eventfilter and sends about 90 events per call, most of them Newexten and VarSet of
    variables nobody reads, and parsing them was a third of the platform's AMI time.
    `variables`: of VarSet, only those whose name starts with it are wanted."""

    def __init__(self, max_frame: int = MAX_FRAME, *, events: frozenset[str] | None = None,
                 variables: str = "") -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._max_frame = max_frame
        self._discarding = False
        self._seen_banner = False
        self.version: str | None = None
        self.dropped = 0
        self.skipped = 0  # events not wanted, never parsed
        self._events = events
        self._variable = f"{EOL}Variable: {variables}"

    def feed(self, data: bytes) -> list[Message]:
        """Every complete, well-formed message in `data` plus what was buffered before."""
        buffer = self._buffer + self._decoder.decode(data)
        if not self._seen_banner:
            # The banner ends with one CRLF, not a blank line (transcript row 3).
            if len(buffer) < len(BANNER) and BANNER.startswith(buffer):
                self._buffer = buffer
                return []
            self._seen_banner = True
            if buffer.startswith(BANNER):
                line, sep, rest = buffer.partition(EOL)
                if not sep:
                    self._seen_banner = False
                    self._buffer = buffer
                    return []
                self.version = line[len(BANNER):].strip()
                buffer = rest
        if self._discarding:
            end = buffer.find(FRAME_END)
            if end < 0:
                self._buffer = buffer[-(len(FRAME_END) - 1):]
                return []
            buffer = buffer[end + len(FRAME_END):]
            self._discarding = False
        chunks = buffer.split(FRAME_END)
        rest = chunks.pop()
        if len(rest) > self._max_frame:
            self.dropped += 1
            log.warning("AMI frame over %d characters without an end: dropped", self._max_frame)
            self._discarding = True
            rest = rest[-(len(FRAME_END) - 1):]
        self._buffer = rest
        messages = []
        for chunk in chunks:
            if len(chunk) > self._max_frame:
                self.dropped += 1
                log.warning("AMI frame of %d characters dropped (limit %d)", len(chunk),
                            self._max_frame)
                continue
            if self._events is not None and not wanted(chunk, self._events, self._variable):
                self.skipped += 1
                continue
            message = parse_frame(chunk)
            if message is None:
                if chunk.strip():
                    self.dropped += 1
                    log.warning("AMI frame without Event or Response skipped: %.80r", chunk)
                continue
            messages.append(message)
        return messages


def wanted(frame: str, events: frozenset[str], variable: str) -> bool:
    """Whether a frame is worth parsing, from its text: a response; an event of `events`
    (a VarSet only if it holds `variable`, the "\r\nVariable: <prefix>" line); any event
    that carries an ActionID (the listing an action asked for, CoreShowChannel). Asterisk
    writes the Event header first (manager.c); a frame that does not start with one is
    parsed as before."""
    if not frame.startswith("Event: "):
        return True
    end = frame.find(EOL)
    name = frame[7:] if end < 0 else frame[7:end]
    if name in events:
        return name != "VarSet" or variable in frame
    return f"{EOL}ActionID: " in frame


def parse_frame(text: str) -> Message | None:
    """One frame's headers (without the blank line); None if it is neither event nor response.

    The first of repeated headers wins, as Asterisk's own astman_get_header reads them (so
    every value is a str); lines without ": " are ignored.
    """
    headers: dict[str, str] = {}
    for line in text.split(EOL):
        key, sep, value = line.partition(": ")
        if sep and key not in headers:
            headers[key] = value
    if "Event" in headers or "Response" in headers:
        return Message(headers)
    return None


def encode_action(headers: Iterable[tuple[str, str]]) -> bytes:
    """The bytes of one action, headers in the given order; refuses CR or LF anywhere.

    Asterisk takes a bare LF as a line end too, so either would inject a second action
    (proven by the `inj-1` Originate at 30.851 in the transcript).
    """
    lines = []
    for name, value in headers:
        for part in (name, value):
            if "\r" in part or "\n" in part:
                raise UnsafeValueError(f"AMI header {name!r} holds CR or LF: {part!r}")
        lines.append(f"{name}: {value}")
    lines.append(EOL)
    return EOL.join(lines).encode("utf-8")
