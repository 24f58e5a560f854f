"""The AMI TCP server: Asterisk 20's manager dialect (banner, login, responses, event fan-out)
over asyncio streams. Channel work is delegated to a CallControl (the simulator).

A session gets an event only when the event's class is in the user's ``read`` classes and in
the session's event mask (manager.c process_events). Responses, and the lists and
FullyBooted that actions write themselves, go out at once and in order; events, in chaos mode,
go through the seeded Interleaver (interleave.py) and may come out after later responses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from contactcenter.sim.ami_frames import Action, ActionSplitter, Fields, format_message, response
from contactcenter.sim.channels import Pbx
from contactcenter.sim.interleave import Interleaver, streams

log = logging.getLogger(__name__)
BANNER = b"Asterisk Call Manager/9.0.0\r\n"
OPEN_ACTIONS = frozenset({"login", "logoff", "challenge"})
ALL = frozenset({"all"})
# asterisk-config/manager.conf's user without `reporting` (issue 9): no RTCPSent, and no
# AGIExec* (agi) or SuccessfulAuth (security), which that user never sees either.
DEFAULT_READ = "system,call,dialplan,dtmf,originate"
TRUE_WORDS = frozenset({"on", "yes", "true", "y", "t", "1"})
FALSE_WORDS = frozenset({"off", "no", "false", "n", "f", "0"})


def classes(text: str) -> frozenset[str]:
    """A manager.conf ``read =`` value or an EventMask as a set of class names: ``all`` (or
    on/yes) is every class, off/no is none."""
    words = frozenset(w.strip().lower() for w in text.split(",") if w.strip())
    if not words or words & TRUE_WORDS or "all" in words:
        return ALL
    return frozenset() if words & FALSE_WORDS else words


def event_classes(fields: Fields) -> frozenset[str]:
    """The classes of an event, from its Privilege header (``call,all``: call)."""
    privilege = next((value for key, value in fields if key == "Privilege"), "")
    return frozenset(c.strip() for c in privilege.split(",") if c.strip() not in ("", "all"))


def allows(granted: frozenset[str], wanted: frozenset[str]) -> bool:
    """manager.c's ``(perm & category) == category``."""
    return granted is ALL or wanted <= granted


@dataclass(frozen=True)
class OriginateRequest:
    """The headers of an Originate action that the simulator acts on."""

    action_id: str
    device: str
    application: str
    data: str
    timeout_ms: int
    caller_num: str
    caller_name: str
    variables: tuple[tuple[str, str], ...]
    context: str = ""  # Originate to a dialplan extension instead of an application
    exten: str = ""


class CallControl(Protocol):
    def originate(self, request: OriginateRequest) -> asyncio.Future[bool]: ...
    def hangup(self, channel: str, cause: int) -> None: ...
    def redirect(self, channel: str, context: str, exten: str, priority: int) -> None: ...
    # call_features.py: the console's hold, resume and transfers
    def redirect_pair(self, channel: str, context: str, exten: str, priority: int,
                      extra: tuple[str, str, str, int]) -> None: ...
    def bridge_channels(self, channel1: str, channel2: str) -> None: ...
    def blind_transfer(self, channel: str, context: str, exten: str) -> bool: ...
    def attended_transfer(self, channel: str, context: str, exten: str) -> bool: ...
    def cancel_attended_transfer(self, channel: str) -> bool: ...
    def play_dtmf(self, channel: str, digit: str, *, receive: bool) -> None: ...


def parse_callerid(value: str) -> tuple[str, str]:
    """``"Name" <num>`` into (num, name) as ast_callerid_parse; a bare word is a name."""
    value = value.strip()
    if "<" in value and value.endswith(">"):
        name, _, num = value[:-1].partition("<")
        return num.strip(), name.strip().strip('"')
    if value.lstrip("+").isdigit():
        return value, ""
    return "", value.strip('"')


def _priority(value: str) -> int:
    return int(value) if value.isdigit() else 1


def originate_request(action: Action) -> OriginateRequest:
    num, name = parse_callerid(action.get("CallerID"))
    variables: list[tuple[str, str]] = []
    for header in action.get_all("Variable"):
        for item in header.split(","):
            key, sep, value = item.partition("=")
            if sep:
                variables.append((key.strip(), value))
    timeout = action.get("Timeout", "30000")
    return OriginateRequest(action.action_id, action.get("Channel"), action.get("Application"),
                            action.get("Data"), int(timeout) if timeout.isdigit() else 30000,
                            num, name, tuple(variables), action.get("Context"),
                            action.get("Exten"))


class AmiSession:
    """One manager connection: its login state and whether it wants events. While the link
    is frozen (``held`` is a list), what it would write waits there."""

    def __init__(self, writer: asyncio.StreamWriter, *, frozen: bool = False) -> None:
        self.writer = writer
        self.authenticated = False
        self.events = ALL  # the event mask (Action: Events)
        self.closing = False
        self.held: list[bytes] | None = [] if frozen else None

    def send(self, fields: Fields) -> None:
        self.send_bytes(format_message(fields))

    def send_bytes(self, data: bytes) -> None:
        if self.closing:
            return
        if self.held is not None:
            self.held.append(data)
        else:
            self.writer.write(data)

    def thaw(self) -> None:
        held, self.held = self.held or [], None
        if held and not self.closing:
            self.writer.write(b"".join(held))


class AmiServer:
    """Listens on 127.0.0.1; each action is answered as Asterisk answers it.

    Faults a test (or the control API) injects from outside, as a network or a stalled
    Asterisk would: ``cut()`` resets every connection; ``freeze(s)`` reads and writes
    nothing for ``s`` seconds (what it would write is sent afterwards, in order; the PBX
    itself goes on); ``refuse(s)`` resets every connection and refuses new ones for ``s``
    seconds."""

    def __init__(self, pbx: Pbx, control: CallControl, *, username: str, secret: str,
                 failed_login_delay: float = 1.0, read: str = DEFAULT_READ,
                 chaos: int | None = None) -> None:
        self._pbx = pbx
        self._control = control
        self._username = username
        self._secret = secret
        self._failed_login_delay = failed_login_delay
        self._read = classes(read)
        self._interleaver: Interleaver[Fields] | None = (
            None if chaos is None else Interleaver(chaos))
        self._flush_at: asyncio.TimerHandle | None = None
        self._sessions: set[AmiSession] = set()
        self._server: asyncio.Server | None = None
        self._address = ("127.0.0.1", 0)
        self._tasks: set[asyncio.Task[None]] = set()
        self._thawed = asyncio.Event()
        self._thawed.set()
        self._thaw_at: asyncio.TimerHandle | None = None
        self._refusing: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[AmiSession, Action], Awaitable[None]]] = {
            "login": self._login, "logoff": self._logoff, "ping": self._ping,
            "events": self._events, "coreshowchannels": self._core_show_channels,
            "getvar": self._getvar, "setvar": self._setvar, "originate": self._originate,
            "hangup": self._hangup, "redirect": self._redirect, "bridge": self._bridge,
            "blindtransfer": self._blind_transfer, "atxfer": self._atxfer,
            "cancelatxfer": self._cancel_atxfer, "playdtmf": self._play_dtmf,
        }

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return self._address[1]

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    @property
    def frozen(self) -> bool:
        return not self._thawed.is_set()

    @property
    def refusing(self) -> bool:
        return self._refusing is not None and not self._refusing.done()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = await asyncio.start_server(self._serve, host, port)
        self._address = (host, self._server.sockets[0].getsockname()[1])

    # -- faults -----------------------------------------------------------------------------
    def cut(self) -> None:
        """Reset every connection (the socket is aborted, as by a network failure)."""
        for session in list(self._sessions):
            session.closing = True
            session.writer.transport.abort()

    def freeze(self, seconds: float) -> None:
        """Read and write nothing for ``seconds``; then what was held goes out."""
        self._thawed.clear()
        for session in self._sessions:
            if session.held is None:
                session.held = []
        if self._thaw_at is not None:
            self._thaw_at.cancel()
        self._thaw_at = asyncio.get_running_loop().call_later(seconds, self._thaw)

    def _thaw(self) -> None:
        self._thaw_at = None
        self._thawed.set()
        for session in self._sessions:
            session.thaw()

    def refuse(self, seconds: float) -> None:
        """Reset every connection and refuse new ones for ``seconds``."""
        if self.refusing:
            return
        assert self._server is not None, "start() first"
        self._server.close()
        self.cut()
        self._refusing = asyncio.create_task(self._reopen_after(seconds))

    async def _reopen_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._server = await asyncio.start_server(self._serve, *self._address)

    def reads(self, event_class: str) -> bool:
        """Whether the AMI user reads events of ``event_class`` at all."""
        return allows(self._read, frozenset({event_class}))

    async def close(self) -> None:
        if self._refusing is not None:
            self._refusing.cancel()
            await asyncio.gather(self._refusing, return_exceptions=True)
        if self._thaw_at is not None:
            self._thaw_at.cancel()
        self._thaw()
        if self._server is not None:
            self._server.close()
        if self._interleaver is not None:
            if self._flush_at is not None:
                self._flush_at.cancel()
            for fields in self._interleaver.drain():
                self._deliver(fields)
        for session in list(self._sessions):
            session.writer.close()  # the reader sees EOF and the session task ends
        if self._tasks:
            _, stuck = await asyncio.wait(set(self._tasks), timeout=1.0)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def broadcast(self, fields: Fields) -> None:
        """An event to every logged-in session that reads its class (the Pbx's sink); in
        chaos mode, once the interleaver lets it out."""
        if self._interleaver is None:
            self._deliver(fields)
            return
        loop = asyncio.get_running_loop()
        self._interleaver.push(fields, streams(fields), loop.time())
        self._schedule_flush(loop)

    def _deliver(self, fields: Fields) -> None:
        wanted = event_classes(fields)
        if not allows(self._read, wanted):
            return
        data = format_message(fields)
        for session in self._sessions:
            if session.authenticated and allows(session.events, wanted):
                session.send_bytes(data)

    def _schedule_flush(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._interleaver is not None
        due = self._interleaver.next_due()
        if due is None or (self._flush_at is not None and self._flush_at.when() <= due):
            return
        if self._flush_at is not None:
            self._flush_at.cancel()
        self._flush_at = loop.call_at(due, self._flush)

    def _flush(self) -> None:
        """Write the events whose time has come; the next flush is always scheduled, even
        after a failure (logged), so no event is left behind."""
        assert self._interleaver is not None
        self._flush_at = None
        loop = asyncio.get_running_loop()
        try:
            for fields in self._interleaver.pop_due(loop.time()):
                try:
                    self._deliver(fields)
                except Exception:
                    log.exception("AMI event delivery failed: %s", fields[:1])
        finally:
            self._schedule_flush(loop)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        session = AmiSession(writer, frozen=self.frozen)
        self._sessions.add(session)
        splitter = ActionSplitter()
        try:
            session.send_bytes(BANNER)
            while not session.closing and (data := await reader.read(65536)):
                await self._thawed.wait()  # frozen: what was read waits, unanswered
                for action in splitter.feed(data):
                    await self._dispatch(session, action)
                    if session.closing:
                        break
                await writer.drain()
        except (ConnectionError, OSError) as exc:
            log.debug("AMI client gone: %s", exc)
        except asyncio.CancelledError:
            # Top of a connection task we own: asyncio would log a cancelled handler as an
            # error, so end quietly (close() cancels only sessions stuck past its grace time).
            log.debug("AMI session cancelled on close")
        finally:
            self._sessions.discard(session)
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _dispatch(self, session: AmiSession, action: Action) -> None:
        name = action.name.lower()
        if not name:
            session.send(response(action, "Error", ("Message", "Missing action in request")))
        elif not session.authenticated and name not in OPEN_ACTIONS:
            session.send(response(action, "Error", ("Message", "Permission denied")))
        elif name in self._handlers:
            await self._handlers[name](session, action)
        else:
            session.send(response(action, "Error", (
                "Message", f"Invalid/unknown command: {action.name}. "
                           "Use Action: ListCommands to show available commands.")))

    async def _login(self, session: AmiSession, action: Action) -> None:
        if action.get("Username") != self._username or action.get("Secret") != self._secret:
            # Asterisk delays the refusal (about 1 s in the transcript), then hangs up.
            await asyncio.sleep(self._failed_login_delay)
            session.send(response(action, "Error", ("Message", "Authentication failed")))
            session.closing = True
            return
        session.send(response(action, "Success", ("Message", "Authentication accepted")))
        session.authenticated = True
        uptime = str(int(time.time() - self._pbx.started))
        if self.reads("system") and allows(session.events, frozenset({"system"})):
            session.send([("Event", "FullyBooted"), ("Privilege", "system,all"),
                          ("Uptime", uptime), ("LastReload", uptime), ("Status", "Fully Booted")])
        peer = session.writer.get_extra_info("peername") or ("127.0.0.1", 0)
        local = session.writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
        self.broadcast([("Event", "SuccessfulAuth"), ("Privilege", "security,all"),
                        ("EventTV", stamp), ("Severity", "Informational"), ("Service", "AMI"),
                        ("EventVersion", "1"), ("AccountID", self._username),
                        ("SessionID", hex(id(session))),
                        ("LocalAddress", f"IPV4/TCP/{local[0]}/{local[1]}"),
                        ("RemoteAddress", f"IPV4/TCP/{peer[0]}/{peer[1]}"),
                        ("UsingPassword", "0"), ("SessionTV", stamp)])

    async def _logoff(self, session: AmiSession, action: Action) -> None:
        session.send(response(action, "Goodbye", ("Message", "Thanks for all the fish.")))
        session.closing = True

    async def _ping(self, session: AmiSession, action: Action) -> None:
        session.send(response(action, "Success", ("Ping", "Pong"),
                              ("Timestamp", f"{time.time():.6f}")))

    async def _events(self, session: AmiSession, action: Action) -> None:
        session.events = classes(action.get("EventMask"))
        session.send(response(action, "Success", ("Events", "On" if session.events else "Off")))

    async def _core_show_channels(self, session: AmiSession, action: Action) -> None:
        session.send(response(action, "Success", ("EventList", "start"),
                              ("Message", "Channels will follow")))
        for item in self._pbx.show_channels(action.action_id):
            session.send(item)

    def _channel_or_error(self, session: AmiSession, action: Action) -> str | None:
        name = action.get("Channel")
        if not name:
            session.send(response(action, "Error", ("Message", "No channel specified")))
            return None
        if name not in self._pbx.channels:
            session.send(response(action, "Error", ("Message", "No such channel")))
            return None
        return name

    def _variable_target(self, session: AmiSession, action: Action) -> tuple[str, str] | None:
        """(channel, variable) of a Getvar/Setvar, or None once the error is sent."""
        variable = action.get("Variable")
        if not variable:
            session.send(response(action, "Error", ("Message", "No variable specified")))
            return None
        name = self._channel_or_error(session, action)
        return None if name is None else (name, variable)

    async def _getvar(self, session: AmiSession, action: Action) -> None:
        if (target := self._variable_target(session, action)) is None:
            return
        name, variable = target
        value = self._pbx.channels[name].variables.get(variable, "")
        session.send(response(action, "Success", ("Variable", variable), ("Value", value)))

    async def _setvar(self, session: AmiSession, action: Action) -> None:
        if (target := self._variable_target(session, action)) is None:
            return
        name, variable = target
        session.send(response(action, "Success", ("Message", "Variable Set")))
        self._pbx.set_var(self._pbx.channels[name], variable, action.get("Value"))

    async def _hangup(self, session: AmiSession, action: Action) -> None:
        if (name := self._channel_or_error(session, action)) is None:
            return
        cause = action.get("Cause", "16")
        session.send(response(action, "Success", ("Message", "Channel Hungup")))
        self._control.hangup(name, int(cause) if cause.isdigit() else 16)

    async def _redirect(self, session: AmiSession, action: Action) -> None:
        if (name := self._channel_or_error(session, action)) is None:
            return
        extra = action.get("ExtraChannel")
        if extra and extra not in self._pbx.channels:
            session.send(response(action, "Error", ("Message", "No such channel")))
            return
        context, exten = action.get("Context"), action.get("Exten")
        priority = _priority(action.get("Priority"))
        session.send(response(action, "Success", ("Message", "Redirect successful")))
        if not extra:
            self._control.redirect(name, context, exten, priority)
            return
        # As manager.c: the extra channel's destination defaults to the channel's.
        self._control.redirect_pair(name, context, exten, priority, (
            extra, action.get("ExtraContext") or context, action.get("ExtraExten") or exten,
            _priority(action.get("ExtraPriority")) if action.get("ExtraPriority") else priority))

    async def _bridge(self, session: AmiSession, action: Action) -> None:
        names = action.get("Channel1"), action.get("Channel2")
        for header, name in zip(("Channel1", "Channel2"), names, strict=True):
            if name not in self._pbx.channels:
                session.send(response(action, "Error", (
                    "Message", f"{header} does not exist: {name}")))
                return
        session.send(response(action, "Success", ("Message", "Channels have been bridged")))
        self._control.bridge_channels(*names)

    async def _blind_transfer(self, session: AmiSession, action: Action) -> None:
        if (name := self._channel_or_error(session, action)) is None:
            return
        if self._control.blind_transfer(name, action.get("Context"), action.get("Exten")):
            session.send(response(action, "Success", ("Message", "Transfer succeeded")))
        else:
            session.send(response(action, "Error", ("Message", "Transfer failed")))

    async def _atxfer(self, session: AmiSession, action: Action) -> None:
        if (name := self._channel_or_error(session, action)) is None:
            return
        if self._control.attended_transfer(name, action.get("Context"), action.get("Exten")):
            session.send(response(action, "Success", ("Message", "Atxfer successfully queued")))
        else:
            session.send(response(action, "Error", ("Message", "Atxfer failed")))

    async def _cancel_atxfer(self, session: AmiSession, action: Action) -> None:
        if (name := self._channel_or_error(session, action)) is None:
            return
        if self._control.cancel_attended_transfer(name):
            session.send(response(action, "Success", (
                "Message", "CancelAtxfer successfully queued")))
        else:
            session.send(response(action, "Error", ("Message", "No attended transfer")))

    async def _play_dtmf(self, session: AmiSession, action: Action) -> None:
        if (name := self._channel_or_error(session, action)) is None:
            return
        digit = action.get("Digit")
        if not digit:
            session.send(response(action, "Error", ("Message", "No digit specified")))
            return
        session.send(response(action, "Success", ("Message", "DTMF successfully queued")))
        self._control.play_dtmf(name, digit[0], receive=action.get("Receive").lower() in {
            "true", "yes", "1", "on"})

    async def _originate(self, session: AmiSession, action: Action) -> None:
        if not action.get("Channel"):
            session.send(response(action, "Error", ("Message", "Channel not specified")))
            return
        outcome = self._control.originate(originate_request(action))
        if action.get("Async").lower() in {"true", "yes", "1", "on"}:
            session.send(response(action, "Success", ("Message", "Originate successfully queued")))
        elif await outcome:
            session.send(response(action, "Success", ("Message", "Originate successfully queued")))
        else:
            session.send(response(action, "Error", ("Message", "Originate failed")))
