"""The IVR marks a call it ends on purpose (CC_IVR_END), so the dialplan hangs up only
those; a caller whose IVR never decided (the platform down or failing mid-call) is queued
by the dialplan's fallback instead of dropped (asterisk-config/extensions.conf)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.events import EventBus
from contactcenter.ivr.fastagi import AgiReply
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.speech.tts import PromptRenderer

FLOW = """\
name: front
start: menu
steps:
  menu:
    menu:
      prompt: Press 1 to leave, 2 to wait.
      choices: {"1": bye, "2": wait}
    on_exhausted: bye
  bye:
    hangup: Goodbye.
  wait:
    queue: {name: support}
"""


class Session:
    """What IvrService.handle uses of an AgiSession: the caller presses `key`."""

    def __init__(self, key: str) -> None:
        self.env, self.flow, self.args = {"agi_channel": "SIP/x-1"}, "front", ["5000"]
        self.key, self.lines = key, []

    async def command(self, line: str) -> AgiReply:
        self.lines.append(line)
        return AgiReply(200, self.key if line.startswith("GET DATA") else "1")


@pytest.mark.parametrize("key,marked", [("1", "SET VARIABLE CC_IVR_END hangup"), ("2", None)])
async def test_only_a_deliberate_end_is_marked(tmp_path: Path, key: str,
                                               marked: str | None) -> None:
    (tmp_path / "front.yaml").write_text(FLOW)
    (tmp_path / "queues.yaml").write_text("queues:\n  support: {}\n")
    registry = FlowRegistry(tmp_path)
    registry.reload()
    session = Session(key)
    await IvrService(registry, PromptRenderer(tmp_path / "prompts"), EventBus()).handle(
        session)  # type: ignore[arg-type]
    ends = [line for line in session.lines if "CC_IVR_END" in line]
    assert ends == ([marked] if marked else [])
