"""Hot reload: a valid new version serves new calls at once, calls in progress keep theirs,
an invalid version is rejected with its errors and the running version stays."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

from contactcenter.cli import main
from contactcenter.ivr.interpreter import CallInfo, Finish, FlowRun
from contactcenter.ivr.runtime import FlowRegistry
from tests.helpers import eventually

FLOW = """name: main
start: hello
steps:
  hello:
    say: {text}
    next: bye
  bye: {{hangup: }}
"""


def heard(run: FlowRun) -> list[str]:
    texts, action = [], run.start()
    while not isinstance(action, Finish):
        texts.append(getattr(action, "text", ""))
        action = run.resume(True)
    return texts


def test_reload_swaps_valid_versions_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    file = tmp_path / "main.yaml"
    file.write_text(FLOW.format(text="Version one."))
    registry = FlowRegistry(tmp_path)
    assert registry.reload() == []
    first = registry.flows["main"]
    in_progress = FlowRun(first, CallInfo("1.1"))
    assert in_progress.start().text == "Version one."

    file.write_text(FLOW.format(text="Version two."))
    assert registry.changed()
    assert registry.reload() == []
    assert not registry.changed()
    assert registry.flows["main"].version != first.version
    assert heard(FlowRun(registry.flows["main"], CallInfo("1.2")))[0] == "Version two."
    assert isinstance(in_progress.resume(True), Finish)  # finished on version one
    assert in_progress.path == ["hello", "bye"]

    second = registry.flows["main"]
    file.write_text(FLOW.format(text="Broken.").replace("next: bye", "next: nowhere"))
    errors = registry.reload()
    assert f"{file}:6:5: step 'hello' goes to 'nowhere', which does not exist" in errors
    assert all(line.startswith(f"{file}:") for line in errors)
    assert registry.flows["main"] is second
    assert not registry.changed()  # the watcher waits for the next edit, not retrying


class ThreadNoting(FlowRegistry):
    """A registry that notes the thread each reload ran in."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.threads: list[threading.Thread] = []

    def reload(self) -> list[str]:
        self.threads.append(threading.current_thread())
        return super().reload()


async def says(registry: FlowRegistry, text: str) -> None:
    await eventually(lambda: (flow := registry.flows.get("main")) is not None
                     and flow.steps["hello"].params == text, 5.0)


async def test_flows_reload_command_signals_the_running_platform(tmp_path: Path) -> None:
    file = tmp_path / "main.yaml"
    file.write_text(FLOW.format(text="Version one."))
    registry = ThreadNoting(tmp_path)
    registry.reload()
    registry.reload_on_sighup()
    watcher = asyncio.create_task(registry.watch(poll=False))  # as with [flows] watch = false
    try:
        file.write_text(FLOW.format(text="Version two."))
        assert main(["flows", "reload", "--pid", str(os.getpid())]) == 0
        await says(registry, "Version two.")
        assert registry.threads[-1] is not threading.main_thread()  # off the event loop
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        watcher.cancel()


HOSTILE = {"not UTF-8": b"name: main\nsteps:\n  hello: {say: caf\xe9}\n",
           "NUL": b"name: main\x00\n", "nesting": b"name: " + b"[" * 5000 + b"\n",
           "alias": b"a: &a [x, x]\nb: [*a, *a]\n", "size": b"#" * 300_000 + b"\n",
           "a directory": None}


async def test_the_watcher_survives_any_file_and_reloads_off_the_event_loop(
        tmp_path: Path, caplog) -> None:
    file = tmp_path / "main.yaml"
    file.write_text(FLOW.format(text="Version one."))
    registry = ThreadNoting(tmp_path)
    registry.reload()
    watcher = asyncio.create_task(registry.watch(interval=0.01))
    other = tmp_path / "other.yaml"
    try:
        for what, data in HOSTILE.items():
            if data is None:
                other.mkdir()  # a directory named like a flow file: reading it fails
            else:
                other.write_bytes(data)
            await eventually(lambda: any(str(other) in r.getMessage()  # that file's error
                                         for r in caplog.records), 5.0)
            assert not watcher.done(), what
            other.rmdir() if data is None else other.unlink()
            caplog.clear()
        file.write_text(FLOW.format(text="Version two."))
        await says(registry, "Version two.")  # still watching, and the good flow loads
        assert threading.main_thread() not in registry.threads[1:]
    finally:
        watcher.cancel()


def test_flows_reload_reports_a_missing_process() -> None:
    assert main(["flows", "reload", "--pid", "999999999"]) == 1
