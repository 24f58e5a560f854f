"""The FastAGI side of a simulated call: connect to the platform, send the ``agi_*`` block and
answer commands with res_agi.c's exact replies (fastagi-transcript.log), announcing each one
with AGIExecStart/AGIExecEnd on the AMI as Asterisk 20 does (class ``agi``: only an AMI user
that reads it gets them, as the fixture's ``read = all``; the project's user does not).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import shutil
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from contactcenter.sim.audiosocket import run_audiosocket
from contactcenter.sim.channels import Channel, Pbx
from contactcenter.sim.scenario import Keypad, ScriptedCaller, Speech
from contactcenter.sim.sounds import SoundLibrary

DEAD_REPLY = "511 Command Not Permitted on a dead channel or intercepted channel"
DEAD_RESULT = "Command not permitted on a dead channel or intercepted channel"
UNKNOWN_REPLY = "510 Invalid or unknown command"
# res_agi.c builds usage from its XML documentation; these are those descriptions.
USAGE = {
    "answer": "Answers channel if not already in answer state. Returns -1 on channel failure,"
              " or 0 if successful.",
    "stream file": "Send the given file, allowing playback to be interrupted by the given"
                   " digits, if any.",
    "get data": "Stream the given file, and receive DTMF data.",
    "set variable": "Sets a variable to the current channel.",
    "get variable": "Returns 0 if variablename is not set. Returns 1 if variablename is set"
                    " and returns the variable in parentheses.",
    "get full variable": "Evaluates the given expression against the channel specified by"
                         " channelname, or the current channel if channelname is not provided.",
    "exec": "Executes application with given options.",
    "record file": "Record to a file until a given dtmf digit in the sequence is received.",
    "wait for digit": "Waits up to timeout milliseconds for channel to receive a DTMF digit.",
    "verbose": "Sends message to the console via verbose message system.",
    "hangup": "Hangs up the specified channel. If no channel name is given, hangs up the"
              " current channel",
    "noop": "Does nothing.",
}
# Commands res_agi.c allows on a dead channel (the ``dead`` column of its command table).
DEAD_OK = frozenset({"get full variable", "get variable", "set variable", "exec", "hangup",
                     "verbose", "noop"})
VARIABLE_REF = re.compile(r"\$\{([^}]*)\}")
CONNECT_SECONDS = 2.0  # res_agi.c MAX_AGI_CONNECT: then AGISTATUS=FAILURE, the dialplan goes on


@dataclass(frozen=True)
class AgiReply:
    """What goes back on the socket, and what AGIExecEnd reports about it."""

    text: str
    code: int = 200
    result: str = "Success"


def parse_args(line: str) -> list[str]:
    """res_agi.c's parse_args: blanks split, double quotes group (``""`` is an empty
    argument), a backslash takes the next character literally."""
    args: list[str] = []
    current: list[str] = []
    quoted = escaped = started = False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = started = True
        elif char == '"':
            quoted, started = not quoted, True
        elif char in " \t" and not quoted:
            if started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        args.append("".join(current))
    return args


def environment(ch: Channel, url: str, args: tuple[str, ...], thread_id: int) -> bytes:
    """The ``agi_*`` block of setup_env() in res_agi.c, then ``agi_arg_N``, then a blank line."""
    script = url.split("/", 3)[3] if url.count("/") >= 3 else ""
    lines = [
        ("network", "yes"), ("network_script", script), ("request", url),
        ("channel", ch.name), ("language", "en"), ("type", ch.name.split("/", 1)[0]),
        ("uniqueid", ch.uniqueid), ("version", "20.20.1"), ("callerid", ch.caller_num),
        ("calleridname", ch.caller_name), ("callingpres", "0"), ("callingani2", "0"),
        ("callington", "0"), ("callingtns", "0"), ("dnid", ch.exten), ("rdnis", "unknown"),
        ("context", ch.context), ("extension", ch.exten), ("priority", str(ch.priority)),
        ("enhanced", "0.0"), ("accountcode", ""), ("threadid", str(thread_id)),
        *((f"arg_{n}", arg) for n, arg in enumerate(args, start=1)),
    ]
    return "".join(f"agi_{key}: {value}\n" for key, value in lines).encode() + b"\n"


class AgiSession:
    """One AGI() run on one channel. ``hang_up()`` is the caller (or an AMI Hangup) leaving:
    Asterisk then writes ``HANGUP`` out of band and keeps answering in dead-channel mode until
    the platform closes; ``dead_linger`` bounds that wait (AGIEXITONHANGUP-like)."""

    def __init__(self, pbx: Pbx, ch: Channel, caller: ScriptedCaller, sounds: SoundLibrary,
                 *, dead_linger: float = 5.0, keys: Keypad | None = None) -> None:
        self._pbx = pbx
        self._ch = ch
        self._caller = caller
        self._keys = keys or Keypad.of(caller)  # shared by a call's AGI runs
        self._sounds = sounds
        self._dead_linger = dead_linger
        self._hangup = asyncio.Event()
        self._failed = False
        self._answered = 0
        self._handlers: dict[str, Callable[[list[str]], Awaitable[AgiReply]]] = {
            "answer": self._answer, "stream file": self._stream_file, "get data": self._get_data,
            "set variable": self._set_variable, "get variable": self._get_variable,
            "get full variable": self._get_full_variable, "exec": self._exec,
            "record file": self._record_file, "wait for digit": self._wait_for_digit,
            "verbose": self._verbose, "hangup": self._hangup_command, "noop": self._noop,
        }

    @property
    def channel(self) -> Channel:
        return self._ch

    def hang_up(self, cause: int) -> None:
        """Soft hang-up from outside; the Hangup event follows when the AGI ends."""
        if self._ch.pending_cause is None:
            self._ch.pending_cause = cause
        self._hangup.set()

    def intercept(self) -> None:
        """Another channel's Bridge() took this one out of its dialplan: the AGI sees HANGUP
        while the channel lives on, bridged."""
        self._hangup.set()

    async def run(self, host: str, port: int, url: str, args: tuple[str, ...]) -> str:
        """Run the session; returns AGISTATUS (SUCCESS, FAILURE or HANGUP). As res_agi.c:
        FAILURE when the server cannot be reached; SUCCESS when the server closes the
        session, even mid-call with nothing set (run_agi: "Program terminated")."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port),
                                                    CONNECT_SECONDS)
        except (OSError, TimeoutError):
            return "FAILURE"
        try:
            writer.write(environment(self._ch, url, args, random.getrandbits(47)))
            await writer.drain()
            dead = await self._serve(reader, writer)
        except (ConnectionError, OSError):
            dead = self._hangup.is_set()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
        if dead:
            return "HANGUP"
        return "FAILURE" if self._failed else "SUCCESS"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        dead = False
        hangup_wait = asyncio.ensure_future(self._hangup.wait())
        line_task: asyncio.Future[bytes] | None = None
        try:
            while True:
                if not self._hangup.is_set() and \
                        self._caller.hangup_after_commands == self._answered:
                    self._pbx.caller_hangs_up(self._ch)
                    self.hang_up(0)
                line_task = line_task or asyncio.ensure_future(reader.readline())
                waiting = (line_task,) if dead else (line_task, hangup_wait)
                done, _ = await asyncio.wait(waiting, timeout=self._dead_linger if dead else None,
                                             return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    return dead
                if not dead and hangup_wait in done:
                    dead = True
                    writer.write(b"HANGUP\n")
                    await writer.drain()
                    continue
                raw = line_task.result()
                line_task = None
                if not raw:
                    return dead
                await self._command(raw.decode("utf-8", errors="replace").rstrip("\r\n"),
                                    writer, dead)
        finally:
            for task in (hangup_wait, line_task):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def _command(self, line: str, writer: asyncio.StreamWriter, dead: bool) -> None:
        command_id = str(random.getrandbits(31))
        self._pbx.emit_channel("AGIExecStart", "agi,all", self._ch, ("CommandId", command_id),
                               ("Command", line))
        argv = parse_args(line)
        name = next((" ".join(argv[:n]).lower() for n in (3, 2, 1)
                     if " ".join(argv[:n]).lower() in self._handlers), None)
        if name is None:
            reply = AgiReply(UNKNOWN_REPLY, 510, "Invalid or unknown command")
        elif dead and name not in DEAD_OK:
            reply = AgiReply(DEAD_REPLY, 511, DEAD_RESULT)
        else:
            reply = await self._handlers[name](argv)
            if reply.code == 520:
                reply = AgiReply("520-Invalid command syntax.  Proper usage follows:\n"
                                 f"{USAGE[name]}\n520 End of proper usage.", 520, "Usage")
        if reply.result == "Failure":
            self._failed = True
        writer.write(reply.text.encode() + b"\n")
        await writer.drain()
        self._answered += 1
        self._pbx.emit_channel("AGIExecEnd", "agi,all", self._ch, ("CommandId", command_id),
                               ("Command", line), ("ResultCode", str(reply.code)),
                               ("Result", reply.result))

    # -- the commands -----------------------------------------------------------------------
    async def _think(self) -> None:
        if self._caller.think_seconds:
            await asyncio.sleep(self._caller.think_seconds)

    async def _answer(self, argv: list[str]) -> AgiReply:
        return AgiReply("200 result=0") if len(argv) == 1 else AgiReply("", 520)

    async def _noop(self, argv: list[str]) -> AgiReply:
        return AgiReply("200 result=0")

    async def _verbose(self, argv: list[str]) -> AgiReply:
        return AgiReply("200 result=1") if 2 <= len(argv) <= 3 else AgiReply("", 520)

    async def _stream_file(self, argv: list[str]) -> AgiReply:
        if not 4 <= len(argv) <= 5:
            return AgiReply("", 520)
        if not self._sounds.exists(argv[2]):
            return AgiReply("200 result=-1 endpos=0", -1, "Failure")
        await self._think()
        key = self._keys.take_escape(argv[3])
        samples = self._sounds.samples(argv[2])
        if key is None:
            return AgiReply(f"200 result=0 endpos={samples}")
        self._pbx.dtmf(self._ch, key)
        return AgiReply(f"200 result={ord(key)} endpos={samples // 2}")

    async def _get_data(self, argv: list[str]) -> AgiReply:
        if not 3 <= len(argv) <= 5:
            return AgiReply("", 520)
        if not self._sounds.exists(argv[2]):
            return AgiReply("200 result=-1")
        max_digits = int(argv[4]) if len(argv) > 4 and argv[4].isdigit() else 1024
        await self._think()
        answer = self._keys.take()
        keys = answer if isinstance(answer, str) else ""
        for key in keys[:max_digits]:
            self._pbx.dtmf(self._ch, key)
        if len(keys) >= max_digits:
            return AgiReply(f"200 result={keys[:max_digits]}")
        if keys.endswith("#"):
            return AgiReply(f"200 result={keys[:-1]}")
        return AgiReply(f"200 result={keys} (timeout)")

    async def _wait_for_digit(self, argv: list[str]) -> AgiReply:
        if len(argv) != 4:
            return AgiReply("", 520)
        await self._think()
        key = self._keys.take_escape("0123456789*#ABCD")
        if key is None:
            return AgiReply("200 result=0")
        self._pbx.dtmf(self._ch, key)
        return AgiReply(f"200 result={ord(key)}")

    async def _set_variable(self, argv: list[str]) -> AgiReply:
        if len(argv) != 4:
            return AgiReply("", 520)
        self._pbx.set_var(self._ch, argv[2], argv[3])
        return AgiReply("200 result=1")

    def _lookup(self, name: str) -> str | None:
        builtins = {
            "CALLERID(num)": self._ch.caller_num, "CALLERID(name)": self._ch.caller_name,
            "CHANNEL": self._ch.name, "CHANNEL(name)": self._ch.name,
            "UNIQUEID": self._ch.uniqueid, "EXTEN": self._ch.exten, "CONTEXT": self._ch.context,
        }
        return builtins.get(name, self._ch.variables.get(name))

    async def _get_variable(self, argv: list[str]) -> AgiReply:
        if len(argv) != 3:
            return AgiReply("", 520)
        value = self._lookup(argv[2])
        return AgiReply("200 result=0") if value is None else AgiReply(f"200 result=1 ({value})")

    async def _get_full_variable(self, argv: list[str]) -> AgiReply:
        if not 4 <= len(argv) <= 5:
            return AgiReply("", 520)
        value = VARIABLE_REF.sub(lambda m: self._lookup(m.group(1)) or "", argv[3])
        return AgiReply(f"200 result=1 ({value})")

    async def _exec(self, argv: list[str]) -> AgiReply:
        if len(argv) < 2:
            return AgiReply("", 520)
        app, data = argv[1].lower(), argv[2] if len(argv) > 2 else ""
        if app == "playback":
            found = all(self._sounds.exists(part) for part in data.split(",")[0].split("&"))
            await self._think()
            self._pbx.set_var(self._ch, "PLAYBACKSTATUS", "SUCCESS" if found else "FAILED")
        elif app == "set" and "=" in data:
            name, _, value = data.partition("=")
            self._pbx.set_var(self._ch, name, value)
        elif app == "voicemail":  # the caller leaves a message, as app_voicemail reports it
            self._pbx.set_var(self._ch, "VMSTATUS", "SUCCESS")
        elif app == "audiosocket":
            return await self._audiosocket(data)
        elif app not in {"wait", "noop", "answer", "verbose", "startmusiconhold",
                         "stopmusiconhold", "musiconhold", "background"}:
            return AgiReply("200 result=-2")
        return AgiReply("200 result=0")

    async def _audiosocket(self, data: str) -> AgiReply:
        """The caller's next answer over AudioSocket (sim/audiosocket.py); keys also reach
        the AMI as DTMF events, as GET DATA's do."""
        run = await run_audiosocket(data, self._keys.take(), self._hangup,
                                    think_seconds=self._caller.think_seconds)
        for key in run.keys:
            self._pbx.dtmf(self._ch, key)
        return AgiReply(f"200 result={run.result}")

    async def _record_file(self, argv: list[str]) -> AgiReply:
        if len(argv) < 6:
            return AgiReply("", 520)
        await self._think()
        answer = self._keys.take()
        endpos = await asyncio.to_thread(store_recording, answer, Path(f"{argv[2]}.{argv[3]}"))
        if isinstance(answer, str) and answer and answer[0] in argv[4]:
            self._pbx.dtmf(self._ch, answer[0])
            return AgiReply(f"200 result={ord(answer[0])} (dtmf) endpos={endpos}")
        return AgiReply(f"200 result=0 (timeout) endpos={endpos}")

    async def _hangup_command(self, argv: list[str]) -> AgiReply:
        if len(argv) > 2:
            return AgiReply("", 520)
        if len(argv) == 2 and argv[1] != self._ch.name:
            return AgiReply("200 result=-1")
        self.hang_up(16)
        return AgiReply("200 result=1")


def store_recording(answer: object, target: Path) -> int:
    """Write what Asterisk would have recorded: the caller's speech, or half a second of
    8 kHz 16-bit silence. Returns the length in samples (``endpos``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(answer, Speech):
        shutil.copyfile(answer.audio, target)
        return target.stat().st_size // 2
    if target.suffix.lower() == ".wav":
        with wave.open(str(target), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\x00\x00" * 4000)
    else:
        target.write_bytes(b"\x00" * 8000)
    return 4000
