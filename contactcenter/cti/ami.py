"""panoramisk 1.4 with its defects fixed in thin subclasses: the AMI link itself.

Kept from panoramisk: the Message type, AMIProtocol's transport handling, the Manager's
event registry (`register_event`). Replaced, because their behaviour is the defect:
- decoding and framing (frames.FrameReader: split UTF-8, garbage, frames over 1 MiB);
- action encoding (frames.encode_action: CR/LF refused, header order kept, CRLF fixed so
  that panoramisk.testing's global `utils.EOL = "\\n"` changes nothing; never import it);
- response matching (an async Originate's OriginateResponse is an event for the call model,
  not a second reply swallowed by the action);
- connect/login (start() returns only once Asterisk accepted the login, else AmiError);
- reconnect: none here. A lost link fails every pending action with AmiError and is never
  replayed (panoramisk re-sends them: an Originate placed twice). The bridge reconnects.
- dispatch: an exception in a callback is logged; the link stays up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from contactcenter.cti.frames import FrameReader, encode_action
from contactcenter.errors import AmiError, AmiRefused, AmiUnanswered

log = logging.getLogger(__name__)

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass
class _Pending:
    future: asyncio.Future[list[Message]]
    replies: list[Message] = field(default_factory=list)


class AmiProtocol(AMIProtocol):
    """One TCP connection: frames in, actions out, replies matched by ActionID."""

    def __init__(self, manager: AmiManager) -> None:
        self.manager = manager

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.factory = self.manager
        self.reader = FrameReader(events=self.manager.events,
                                  variables=self.manager.variables)
        self.pending: dict[str, _Pending] = {}
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def send(self, data: Any, as_list: bool = False) -> asyncio.Future[list[Message]]:
        """Encode (raising UnsafeValueError before anything is written), register, write."""
        headers = list(data.items()) if isinstance(data, Mapping) else list(data)
        raw = encode_action(headers)
        action_id = dict(headers).get("ActionID", "")
        if not action_id:
            raise AmiError("an action needs an ActionID")
        if self.closed:
            raise AmiError("AMI link is down")
        future: asyncio.Future[list[Message]] = asyncio.get_running_loop().create_future()
        self.pending[action_id] = _Pending(future)
        self.transport.write(raw)
        return future

    def data_received(self, data: bytes) -> None:
        for message in self.reader.feed(data):
            self.handle_message(message)
        self.version = self.reader.version

    def handle_message(self, message: Message) -> None:
        action_id = message.get("ActionID")
        pending = self.pending.get(action_id) if action_id else None
        if pending is not None and self._is_reply(pending, message):
            pending.replies.append(message)
            first = pending.replies[0]
            listing = first.get("EventList", "").lower() == "start"
            if not listing or message.get("EventList", "").lower() == "complete":
                del self.pending[action_id]
                if not pending.future.done():
                    pending.future.set_result(pending.replies)
            return
        if "Event" in message:
            self.manager.dispatch(message)

    @staticmethod
    def _is_reply(pending: _Pending, message: Message) -> bool:
        """The Response line, or the events of a list it announced (CoreShowChannels)."""
        if not pending.replies:
            return "Response" in message and "Event" not in message
        return pending.replies[0].get("EventList", "").lower() == "start"

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        error = AmiUnanswered(f"AMI link lost{': ' + str(exc) if exc else ''}")
        for pending in self.pending.values():
            if not pending.future.done():
                pending.future.set_exception(error)
        self.pending.clear()
        if not self.lost.done():
            self.lost.set_result(None)
        self.manager.connection_lost(exc)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()


class AmiManager(Manager):
    """One AMI session: `await start()` connects and logs in or raises AmiError. `events`
    (and `variables`, a VarSet name prefix): the events its callbacks want, the others are
    skipped unparsed (frames.FrameReader); None: every event."""

    def __init__(self, *, host: str, port: int, username: str, secret: str,
                 action_timeout: float, on_lost: Callable[[], None] | None = None,
                 events: frozenset[str] | None = None, variables: str = "") -> None:
        super().__init__(host=host, port=port, ping_delay=0, ping_interval=0,
                         reconnect_timeout=0, protocol_factory=AmiProtocol)
        self.callbacks.clear()  # panoramisk's own FullyBooted hook replays actions: never
        self.patterns.clear()
        self._username = username
        self._secret = secret
        self.action_timeout = action_timeout
        self._on_lost = on_lost
        self.events, self.variables = events, variables
        self._ids = count(1)
        self._closed_here = False
        self._prefix = f"cc-{id(self):x}"
        self.protocol: AmiProtocol | None = None

    @property
    def connected(self) -> bool:
        return self.protocol is not None and not self.protocol.closed and self.authenticated

    async def start(self) -> None:
        """TCP connect, Login (verified), Events on. Raises AmiError, leaving nothing open."""
        loop = asyncio.get_running_loop()
        self.loop = loop
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(lambda: AmiProtocol(self), self.config["host"],
                                       self.config["port"]),
                self.action_timeout)
        except (TimeoutError, OSError) as exc:
            raise AmiError(f"AMI {self.config['host']}:{self.config['port']} unreachable: "
                           f"{exc or 'timeout'}") from exc
        self.protocol = protocol
        try:
            reply = await self.action([("Action", "Login"), ("Username", self._username),
                                       ("Secret", self._secret), ("Events", "off")])
            self.authenticated = True
            await self.action({"Action": "Events", "EventMask": "on"})
        except AmiError:
            self.authenticated = False
            protocol.close()
            raise
        log.info("AMI logged in to %s:%s (%s)", self.config["host"], self.config["port"],
                 reply[0].get("Message", ""))

    def next_action_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def action(self, headers: Headers, action_id: str | None = None) -> list[Message]:
        """Send one action and wait for its reply (and list events); AmiError on Error,
        timeout or a lost link. The ActionID is put right after Action, as Asterisk logs it."""
        items = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        action_id = action_id or self.next_action_id()
        items.insert(1, ("ActionID", action_id))
        if self.protocol is None or self.protocol.closed:
            raise AmiError("AMI link is down")
        future = self.protocol.send(items)
        try:
            replies = await asyncio.wait_for(future, self.action_timeout)
        except TimeoutError:
            self.protocol.pending.pop(action_id, None)
            raise AmiUnanswered(f"AMI {items[0][1]} {action_id}: no reply in "
                                f"{self.action_timeout:g} s") from None
        head = replies[0]
        if head.get("Response") not in ("Success", "Follows", "Goodbye"):
            raise AmiRefused(f"AMI {items[0][1]} refused: "
                             f"{head.get('Message', head.get('Response'))}")
        return replies

    def dispatch(self, event: Message) -> list[str]:
        """panoramisk's dispatch, except that a failing callback is logged, not raised
        into data_received (which would close the link). Callbacks are plain functions."""
        matches = []
        name = event.get("Event", "")
        for pattern, regexp in self.patterns:
            if regexp.match(name) is None:
                continue
            matches.append(pattern)
            for callback in self.callbacks[pattern]:
                try:
                    callback(self, event)
                except Exception:
                    log.exception("AMI %s callback %r failed; link kept", name, callback)
        return matches

    def connection_lost(self, exc: Exception | None) -> None:
        """No reconnect and no replay here: the owner decides (see AmiBridge)."""
        self.authenticated = False
        log.log(logging.INFO if self._closed_here else logging.WARNING, "AMI link to %s:%s %s",
                self.config["host"], self.config["port"],
                "closed" if self._closed_here else "lost")
        if self._on_lost is not None:
            self._on_lost()

    async def logoff(self) -> None:
        """Say goodbye (best effort) and close; the loss that follows is expected."""
        self._closed_here = True
        if self.connected:
            with contextlib.suppress(AmiError):
                await self.action({"Action": "Logoff"})
        self.close()
        await self.wait_closed()

    def close(self) -> None:
        self._closed_here = True
        if self.protocol is not None:
            self.protocol.close()

    async def wait_closed(self) -> None:
        if self.protocol is not None:
            await self.protocol.lost
