"""A real Asterisk on loopback for the tests under tests/asterisk/ (SIPp phones: sipp.py;
what the tests observe: watch.py).

Asterisk (20+, chan_sip) runs from a temporary directory with the repository's
asterisk-config/ read at run time: sip.conf.loopback as sip.conf, and only the ports, the
secret and the carrier's channel driver (TRUNK_TECH = SIP) rewritten. Its own output
(console and messages log, with the AGI dialogue) stays there, so that a failing test can
show it.

Environment: ASTERISK_BIN (the binary; the tests skip without it), ASTERISK_MODDIR (its
modules, if not the compiled-in directory), ASTERISK_DATADIR (the data directory holding
documentation/, which Asterisk needs to start: without it "Stasis initialization failed";
default: <prefix>/var/lib/asterisk next to the binary, then the usual system places).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import wave
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from contactcenter.acd.events import AgentStateChanged
from contactcenter.app import Platform
from contactcenter.errors import InvalidTransition
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "asterisk-config"
SECRET = "test-secret-1"  # the platform's AMI user `cc`
OBSERVER = "observer"  # a second AMI user that hears everything, for the tests' own checks
DNIS = "5000"  # the number callers dial: [from-pstn] runs the flow "main" for any number
AGENT_PHONES = ("agent101", "agent102")
ADA = ("+14155550123", "Ada Lovelace")  # a customer of the seeded CRM
SUPPORT = "2" * 25  # flows/main.yaml's support key, pressed for 20 s: the menu hears one
STARTUP_S = 30.0


def asterisk_bin() -> str:
    return os.environ.get("ASTERISK_BIN", "")


REAL_ASTERISK = [pytest.mark.asterisk,
                 pytest.mark.skipif(not asterisk_bin(), reason="ASTERISK_BIN is not set")]


def data_dir(binary: str) -> Path:
    """The data directory with documentation/ (ASTERISK_DATADIR, else where a build from
    source or a distribution package puts it)."""
    if os.environ.get("ASTERISK_DATADIR"):
        return Path(os.environ["ASTERISK_DATADIR"])
    prefix = Path(binary).resolve().parents[1]
    candidates = [prefix / "var/lib/asterisk", Path("/var/lib/asterisk"),
                  Path("/usr/share/asterisk")]
    return next((c for c in candidates if (c / "documentation").is_dir()), candidates[0])


def free_udp_port(pairs: int = 1) -> int:
    """A UDP port on 127.0.0.1, free with the `2 * pairs - 1` ports above it (SIPp's media
    port and the next ones)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1] & ~1
        if base + 2 * pairs < 65536 and all(_udp_free(base + i) for i in range(2 * pairs)):
            return base
    raise RuntimeError("no free UDP port range on 127.0.0.1")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def write_tone(path: Path, seconds: float = 2.0) -> None:
    """An 8 kHz mono tone, so the music-on-hold class has a file to play."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
            for i in range(int(8000 * seconds))))


def tail(path: Path, lines: int = 200) -> str:
    if not path.exists():
        return f"({path.name}: none)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


# -- Asterisk -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ports:
    sip: int = field(default_factory=free_udp_port)
    ami: int = field(default_factory=free_port)
    agi: int = field(default_factory=free_port)
    carrier: int = field(default_factory=free_udp_port)  # the carrier's far end (SIPp UAS)
    agents: Mapping[str, int] = field(
        default_factory=lambda: {name: free_udp_port() for name in AGENT_PHONES})


def sip_conf(loopback: str, ports: Ports) -> str:
    """asterisk-config/sip.conf.loopback with this test's ports: Asterisk's own, the
    carrier's far end (a SIPp phone; callers come in from other ports of 127.0.0.1) and
    the agents' phones."""
    peer_ports = {"carrier": ports.carrier, **ports.agents}
    section, out = "", []
    for line in loopback.splitlines():
        if match := re.fullmatch(r"\[(\w+)\]\s*", line):
            section = match.group(1)
        elif re.match(r"udpbindaddr\s*=", line):
            line = f"udpbindaddr = 127.0.0.1:{ports.sip}"
        elif re.match(r"port\s*=", line) and section in peer_ports:
            line = f"port = {peer_ports[section]}"
        out.append(line)
    return "\n".join(out) + "\n"


MODULES = """[modules]
autoload = yes
; not built, or binding ports and devices the tests do not use
noload => chan_pjsip.so
noload => res_pjsip.so
noload => res_pjproject.so
noload => res_hep_pjsip.so
noload => chan_alsa.so
noload => chan_console.so
noload => chan_oss.so
noload => chan_mgcp.so
noload => chan_skinny.so
noload => chan_unistim.so
noload => chan_iax2.so
noload => pbx_dundi.so
noload => res_http_websocket.so
noload => res_ari.so
noload => cdr_custom.so
noload => cel_custom.so
"""


class Asterisk:
    """One Asterisk process in `root`, with the repository's configuration on `ports`."""

    def __init__(self, binary: str, root: Path, ports: Ports) -> None:
        self.binary = binary
        self.root = root
        self.ports = ports
        self.etc = root / "etc"
        self.console = root / "console.log"  # Asterisk's stdout and stderr
        self.messages = root / "log" / "messages"  # logger.conf: notices up, verbose 3
        self._proc: subprocess.Popen[bytes] | None = None

    def configure(self) -> None:
        """Write asterisk.conf and the rest; the data directory is the real one (its
        documentation/), but for moh/, which holds the tone of musiconhold.conf's class."""
        for sub in ("etc", "lib", "db", "keys", "data/moh", "run", "log", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        real_data = data_dir(self.binary)
        if not (real_data / "documentation").is_dir():
            raise RuntimeError(f"{real_data} has no documentation/: set ASTERISK_DATADIR to "
                               "the Asterisk data directory (Asterisk needs its XML docs)")
        for entry in real_data.iterdir():
            if entry.name != "moh":
                (self.root / "data" / entry.name).symlink_to(entry)
        write_tone(self.root / "data" / "moh" / "tone.wav")
        moddir = os.environ.get("ASTERISK_MODDIR")
        # astkeydir must be a directory whose keys/ Asterisk may use: the root, not a leaf
        (self.etc / "asterisk.conf").write_text(
            "[directories]\n"
            f"astetcdir => {self.etc}\nastvarlibdir => {self.root / 'lib'}\n"
            f"astdbdir => {self.root / 'db'}\nastkeydir => {self.root}\n"
            f"astdatadir => {self.root / 'data'}\nastagidir => {self.root / 'lib'}\n"
            f"astspooldir => {self.root / 'spool'}\nastrundir => {self.root / 'run'}\n"
            f"astlogdir => {self.root / 'log'}\n"
            + (f"astmoddir => {moddir}\n" if moddir else "")
            + "[options]\nverbose = 3\nhighpriority = no\n")
        (self.etc / "modules.conf").write_text(MODULES)
        (self.etc / "logger.conf").write_text(
            "[logfiles]\nmessages => notice,warning,error,verbose(3),dtmf\n")
        (self.etc / "rtp.conf").write_text("[general]\nrtpstart = 10000\nrtpend = 20000\n")
        (self.etc / "sip.conf").write_text(
            sip_conf((CONFIG / "sip.conf.loopback").read_text(), self.ports))
        manager = (CONFIG / "manager.conf").read_text().replace("@AMI_SECRET@", SECRET)
        manager = re.sub(r"(?m)^port\s*=.*$", f"port = {self.ports.ami}", manager)
        (self.etc / "manager.conf").write_text(
            manager + f"\n[{OBSERVER}]\nsecret = {SECRET}\npermit = 127.0.0.1/255.255.255.255"
            "\nread = all\nwrite = all\n")
        dialplan = re.sub(r"agi://127\.0\.0\.1:4573", f"agi://127.0.0.1:{self.ports.agi}",
                          (CONFIG / "extensions.conf").read_text())
        (self.etc / "extensions.conf").write_text(  # the carrier is chan_sip's here
            re.sub(r"(?m)^TRUNK_TECH\s*=.*$", "TRUNK_TECH = SIP", dialplan))
        for name in ("features.conf", "musiconhold.conf"):
            shutil.copy(CONFIG / name, self.etc / name)

    def start(self) -> None:
        """Start in the foreground (-f) and wait until it is fully booted; RuntimeError with
        Asterisk's own output if it exits or does not boot. (AMI listens before the other
        modules are loaded: an Originate into from-pstn that early finds no dialplan.)"""
        with self.console.open("wb") as out:
            self._proc = subprocess.Popen(
                [self.binary, "-f", "-n", "-C", str(self.etc / "asterisk.conf")],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_S
        while not self._booted():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("Asterisk did not boot:\n" + self.output())
            time.sleep(0.2)

    def _booted(self) -> bool:
        """Whether the CLI says so (`core waitfullybooted` over the control socket)."""
        try:
            done = subprocess.run(
                [self.binary, "-C", str(self.etc / "asterisk.conf"), "-rx",
                 "core waitfullybooted"], capture_output=True, timeout=STARTUP_S)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0 and b"fully booted" in done.stdout

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def output(self, lines: int = 400) -> str:
        """Asterisk's own output: its console, then its messages log."""
        return (f"--- {self.console}\n{tail(self.console, lines)}\n"
                f"--- {self.messages}\n{tail(self.messages, lines)}")

    def log_lines(self, pattern: str) -> list[str]:
        """Lines of the messages log matching the regular expression `pattern`."""
        if not self.messages.exists():
            return []
        found = re.compile(pattern)
        return [line for line in self.messages.read_text(errors="replace").splitlines()
                if found.search(line)]


@contextlib.contextmanager
def asterisk_root() -> Iterator[Path]:
    """A short temporary directory (Asterisk's control socket path is limited)."""
    root = Path(tempfile.mkdtemp(prefix="ast"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.asynccontextmanager
async def ready_after_each_call(platform: Platform) -> AsyncIterator[None]:
    """Agents press "ready" as soon as they enter wrap-up (the shipped queues' wrap-up of
    30 s would make a test with many calls last minutes)."""
    with platform.bus.subscribe() as events:
        async def ready() -> None:
            while True:
                event = await events.get()
                if isinstance(event, AgentStateChanged) and event.state == "wrap_up":
                    with contextlib.suppress(InvalidTransition):  # moved on meanwhile
                        await platform.distributor.set_available(event.agent_id)

        task = asyncio.create_task(ready(), name="agents-ready")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
