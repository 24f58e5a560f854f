"""Hot reload: a valid new version serves new calls at once, calls in progress keep theirs,
an invalid version is rejected with its errors and the running version stays."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from contactcenter.cli import main
from contactcenter.ivr.interpreter import CallInfo, Finish, FlowRun
from contactcenter.ivr.runtime import FlowRegistry

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


async def test_flows_reload_command_signals_the_running_platform(tmp_path: Path) -> None:
    file = tmp_path / "main.yaml"
    file.write_text(FLOW.format(text="Version one."))
    registry = FlowRegistry(tmp_path)
    registry.reload()
    registry.reload_on_sighup()
    try:
        file.write_text(FLOW.format(text="Version two."))
        assert main(["flows", "reload", "--pid", str(os.getpid())]) == 0
        for _ in range(100):
            if registry.flows["main"].steps["hello"].params == "Version two.":
                break
            await asyncio.sleep(0.01)
        assert registry.flows["main"].steps["hello"].params == "Version two."
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)


def test_flows_reload_reports_a_missing_process() -> None:
    assert main(["flows", "reload", "--pid", "999999999"]) == 1
