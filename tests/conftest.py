"""Shared fixtures: free loopback ports, the real Asterisk transcripts, a real redis-server,
real speech audio (espeak-ng and sox, cached for the session: no audio files in git)."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "asterisk-20"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def asterisk_fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free loopback port for the whole session, no persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: run ./scripts/setup")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def _postgres_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free loopback port, in a temporary directory.

    initdb refuses to run as root, so as root the cluster belongs to `nobody`. `stop()` and
    `start()` take the server away and bring it back on the same port with its data (the
    database-outage drills); `close()` removes it all.
    """

    def __init__(self) -> None:
        import os
        import pwd
        import tempfile

        bindir = _postgres_bin()
        if bindir is None:
            pytest.fail("PostgreSQL server binaries are missing under /usr/lib/postgresql")
        self._workdir = Path(tempfile.mkdtemp(prefix="cc-postgres-"))
        as_user: list[str] = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self._workdir, nobody.pw_uid, nobody.pw_gid)
            as_user = ["runuser", "-u", "nobody", "--"]
        self._workdir.chmod(0o700)
        data = self._workdir / "data"
        port = free_port()
        self._pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
        self._options = (f"-p {port} -k {self._workdir} -c listen_addresses=127.0.0.1 "
                         "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        try:
            subprocess.run(
                [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A",
                 "trust", "--no-sync", "-E", "UTF8", "--locale", "C"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            self.start()
        except BaseException:
            self.close()
            raise

    def start(self) -> None:
        subprocess.run(
            [*self._pg_ctl, "-o", self._options, "-l", str(self._workdir / "log"), "-w",
             "-t", "30", "start"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, new ones refused until start()."""
        subprocess.run([*self._pg_ctl, "-m", "fast", "-w", "stop"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def close(self) -> None:
        subprocess.run([*self._pg_ctl, "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self._workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The session's PostgreSQL cluster (never stopped: make your own PostgresCluster to
    stop one). Tests get the maintenance database; make your own databases in it."""
    cluster = PostgresCluster()
    try:
        yield cluster.url
    finally:
        cluster.close()


Speak = Callable[..., Path]


@pytest.fixture(scope="session")
def speak(tmp_path_factory: pytest.TempPathFactory) -> Speak:
    """speak("pay my bill") -> an 8 kHz WAV of espeak-ng saying it; voice "ko+f2" for
    Korean. en-us+f2 at 130 words a minute is the voice both engines hear best."""
    folder = tmp_path_factory.mktemp("speech")

    def render(text: str, voice: str = "en-us+f2", speed: int = 130) -> Path:
        name = hashlib.sha256(f"{voice}/{speed}/{text}".encode()).hexdigest()[:16]
        out = folder / f"{name}.wav"
        if not out.exists():
            raw = folder / f"{name}.raw.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
                           check=True, capture_output=True)
            subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)],
                           check=True, capture_output=True)
        return out

    return render
