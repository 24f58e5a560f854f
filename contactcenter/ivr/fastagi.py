"""FastAGI server on plain asyncio streams: Asterisk connects once per call, sends its
`agi_*` block, then we send one command per line and read one reply each.

Written on asyncio streams rather than on panoramisk's FastAGI server, because each of its
1.4 defects sits in the read loop this module replaces: a connect-then-close before the
headers spun the loop; routing matched `agi_network_script` with its `?query`; a
multi-line `520-` usage reply and Asterisk's out-of-band `HANGUP` line each shifted every
later reply by one; `200 result= (timeout)` parsed as empty; invalid UTF-8 raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import resource
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from contactcenter.errors import ContactCenterError, UnsafeValueError
from contactcenter.logs import call_context

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0  # seconds Asterisk has to send its agi_* block
COMMAND_TIMEOUT = 300.0  # seconds for one reply: the longest prompt, recording or voicemail
SESSION_TIMEOUT = 3600.0  # an IVR session longer than an hour is stuck, not a caller
MAX_SESSIONS = 4000  # simultaneous connections; more are closed at once (AGI() fails)
FILES_BESIDES_SESSIONS = 1024  # AMI, Redis, database, websockets, prompt files
BACKLOG = 1024  # connections not yet accepted: a burst of calls (asyncio's default is 100,
# and a connection the kernel drops is retried after 1 s, past AGI()'s 2 s connect limit)
MAX_HEADER_LINES = 256
REPLY = re.compile(r"^(\d{3})(?:[ -]|$)(?:result=(\S*)(?: \((.*?)\))?(.*))?")


class AgiHangup(ContactCenterError):
    """The caller hung up: Asterisk sent `HANGUP` out of band, or closed the socket."""


class AgiSilent(AgiHangup):
    """No reply within the command timeout: the peer is treated as gone."""


@dataclass(frozen=True)
class AgiReply:
    """One parsed reply: `200 result=1 (value) endpos=1234`."""

    code: int
    result: str = ""
    data: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def timed_out(self) -> bool:
        """GET DATA and RECORD FILE report a timeout as `(timeout)` next to the result."""
        return self.data == "timeout"


def parse_reply(lines: list[str]) -> AgiReply:
    """Pure: the reply lines of one command (a `520-` usage reply spans several)."""
    first = lines[0]
    match = REPLY.match(first)
    if match is None:
        return AgiReply(code=0, text="\n".join(lines))
    code, result, data, rest = match.groups()
    extra = dict(part.split("=", 1) for part in (rest or "").split() if "=" in part)
    return AgiReply(int(code), result or "", data or "", extra, "\n".join(lines))


def check_safe(*values: str) -> None:
    """A CR or LF would end the command early and inject another: refuse before sending."""
    for value in values:
        if "\r" in value or "\n" in value:
            raise UnsafeValueError(f"AGI value holds CR or LF: {value!r}")


def quote(value: str) -> str:
    """An AGI argument as res_agi.c parses it: double quotes, backslash escapes."""
    check_safe(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class AgiSession:
    """One call's AGI link: the `agi_*` environment and command/reply turns."""

    env: dict[str, str]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    hung_up: bool = False
    command_timeout: float = COMMAND_TIMEOUT

    @property
    def flow(self) -> str:
        """The flow to run: the script path without any `?query` or leading slash."""
        return self.env.get("agi_network_script", "").split("?", 1)[0].strip("/")

    @property
    def args(self) -> list[str]:
        """`AGI(agi://host/flow,a,b)` arrives as agi_arg_1, agi_arg_2..."""
        found, n = [], 1
        while f"agi_arg_{n}" in self.env:
            found.append(self.env[f"agi_arg_{n}"])
            n += 1
        return found

    async def command(self, line: str) -> AgiReply:
        """Send one command line and return its reply; AgiHangup once the caller is gone,
        AgiSilent when no reply comes within command_timeout."""
        check_safe(line)
        if self.hung_up:
            raise AgiHangup("caller hung up")
        try:
            async with asyncio.timeout(self.command_timeout):
                self.writer.write(line.encode() + b"\n")
                await self.writer.drain()
                lines = [await self._line()]
                if lines[0].startswith("520-"):  # usage text up to "520 End of proper usage."
                    while not lines[-1].startswith("520 "):
                        lines.append(await self._line())
        except TimeoutError:
            self.hung_up = True
            raise AgiSilent(f"no reply to {' '.join(line.split()[:2])} in "
                            f"{self.command_timeout:g} s") from None
        return parse_reply(lines)

    async def _line(self) -> str:
        while True:
            raw = await self.reader.readline()
            if not raw:
                self.hung_up = True
                raise AgiHangup("AGI socket closed")
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if text == "HANGUP":  # out of band: the caller left; the real reply follows
                self.hung_up = True
                raise AgiHangup("caller hung up")
            return text


SessionHandler = Callable[[AgiSession], Awaitable[None]]


@dataclass
class AgiRoutes:
    """The FastAGI route table: which handler serves each script name the dialplan's
    AGI(agi://host/<script>) asks for, and `default` for every other name (the IVR's,
    whose scripts are flow names). A handler itself, so FastAgiServer serves a table or a
    single handler alike; app.py builds the platform's."""

    default: SessionHandler
    scripts: dict[str, SessionHandler] = field(default_factory=dict)

    async def __call__(self, session: AgiSession) -> None:
        await self.scripts.get(session.flow, self.default)(session)


async def read_environment(reader: asyncio.StreamReader) -> dict[str, str] | None:
    """The `agi_*` block up to its empty line; None if the peer closed or sent garbage.

    res_agi.c writes each value as it is, so a caller name holding a line feed arrives as
    two lines: a line without a colon continues the value before it (joined by a space),
    and the caller keeps their IVR."""
    env: dict[str, str] = {}
    key = ""
    for _ in range(MAX_HEADER_LINES):
        raw = await reader.readline()
        if not raw:
            return None
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text:
            return env
        name, sep, value = text.partition(":")
        if sep:
            key = name.strip()
            env[key] = value.strip()
        elif key:
            env[key] = f"{env[key]} {text.strip()}".strip()
        else:
            return None
    return None


def allow_open_files(wanted: int) -> int:
    """Raise this process's soft limit of open files to `wanted` (no further than the hard
    limit): every session holds a socket, and a login shell's soft limit is often 1024.
    Returns how many files may be open now, up to `wanted`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return wanted
    soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


class FastAgiServer:
    """Accepts Asterisk's FastAGI connections and runs `handler` (an AgiRoutes table, or
    one handler for every script) for each session."""

    def __init__(self, handler: SessionHandler, *, host: str = "127.0.0.1", port: int = 4573,
                 header_timeout: float = HEADER_TIMEOUT,
                 command_timeout: float = COMMAND_TIMEOUT,
                 session_timeout: float = SESSION_TIMEOUT,
                 max_sessions: int = MAX_SESSIONS) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._header_timeout = header_timeout
        self._command_timeout = command_timeout
        self._session_timeout = session_timeout
        self._max_sessions = max_sessions
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()
        self._closing = False
        self.refused = 0  # connections closed at once because max_sessions were open

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    @property
    def active_sessions(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        wanted = self._max_sessions + FILES_BESIDES_SESSIONS
        if (allowed := allow_open_files(wanted)) < wanted:
            log.warning("FastAGI: %d sessions allowed but at most %d files may be open (the "
                        "hard limit): raise it (systemd LimitNOFILE=) or lower "
                        "[agi] max_sessions", self._max_sessions, allowed)
        self._server = await asyncio.start_server(self._accept, self._host, self._port,
                                                  backlog=BACKLOG)

    async def close(self) -> None:
        """Stop accepting, then end the open sessions (Asterisk continues its dialplan)."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> FastAgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._sessions) >= self._max_sessions:
            self.refused += 1
            if self.refused % 100 == 1:  # the first of a burst, then every 100th
                log.warning("FastAGI: %d sessions open, the limit: connection refused "
                            "(%d so far); Asterisk's AGI() fails and the dialplan goes on",
                            len(self._sessions), self.refused)
            await _close(writer)
            return
        self._sessions.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            if not self._closing:
                raise
            # ended by close(): the task returns, since asyncio's streams (3.11) log a
            # connection task that ends cancelled as an "Exception in callback"
            log.info("FastAGI session ended: the platform is closing (the dialplan goes on)")
        except Exception:
            log.exception("FastAGI session failed")
        finally:
            self._sessions.discard(task)
            await _close(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            env = await asyncio.wait_for(read_environment(reader), self._header_timeout)
        except TimeoutError:
            log.warning("FastAGI peer sent no agi_* block in %g s: closed", self._header_timeout)
            return
        if env is None:
            log.info("FastAGI peer closed or sent no valid agi_* block")
            return
        session = AgiSession(env, reader, writer, command_timeout=self._command_timeout)
        where = (f"call {env.get('agi_uniqueid', '?')} on {env.get('agi_channel', '?')}, "
                 f"script {session.flow!r}")
        deadline = asyncio.timeout(self._session_timeout)
        try:
            with call_context(env.get("agi_uniqueid")):  # the IVR's lines name the call
                async with deadline:
                    await self._handler(session)
        except AgiSilent as exc:
            log.warning("FastAGI %s: %s; session closed, the dialplan goes on", where, exc)
        except AgiHangup:
            log.info("FastAGI %s: caller hung up", where)
        except TimeoutError:
            if not deadline.expired():
                raise
            log.warning("FastAGI %s: session ran over %g s; closed, the dialplan goes on",
                        where, self._session_timeout)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
