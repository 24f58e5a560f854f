"""The headless demo: simulator + platform over real TCP, counted against the simulator."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from contactcenter.cli import main
from contactcenter.config import load_config
from contactcenter.cti.events import CallArrived, CallHungUp
from contactcenter.demo import CallLedger, run_demo
from contactcenter.sim import PbxSimulator, ScriptedCaller, SimCall
from tests.conftest import free_port

FLOWS = str(Path(__file__).parents[1] / "flows")


def _config(tmp_path):
    config = load_config(None, env={})
    return dataclasses.replace(
        config,
        agi=dataclasses.replace(config.agi, port=free_port()),
        flows=dataclasses.replace(config.flows, directory=FLOWS, watch=False),
        speech=dataclasses.replace(config.speech, cache_dir=str(tmp_path / "prompts")),
        database=dataclasses.replace(config.database, url=f"sqlite:///{tmp_path}/cc.db"),
    )


async def test_headless_demo_tracks_every_call(tmp_path) -> None:
    summary = await run_demo(_config(tmp_path), headless=True, seconds=2.0, rate=6.0, seed=7)
    assert summary["offered"] > 0
    assert summary["lost"] == 0
    assert summary["double_offers"] == 0
    ended = summary["answered"] + summary["abandoned"] + summary["ended_in_ivr"]
    assert ended + summary["in_progress"] == summary["offered"]


def _call(uniqueid: str, *, ended: bool) -> SimCall:
    call = SimCall(caller=ScriptedCaller(), channel=f"SIP/carrier-{uniqueid}", uniqueid=uniqueid)
    if ended:
        call.ended.set()
    return call


async def test_ledger_counts_calls_the_platform_missed() -> None:
    ledger = CallLedger()
    for event in (CallArrived("1.1", "c1", "+1", "A", "5000", 0.0),
                  CallArrived("1.2", "c2", "+1", "A", "5000", 0.0),
                  CallHungUp("1.1", "c1", 16, "Normal Clearing", 0.0),
                  CallArrived("1.4", "c4", "+1", "A", "5000", 0.0)):
        await ledger.feed(event)
    calls = [
        _call("1.1", ended=True),    # seen arriving and ending: fine
        _call("1.2", ended=True),    # ended, but the platform never saw the hang-up: lost
        _call("1.3", ended=False),   # never seen arriving: lost
        _call("1.4", ended=False),   # alive but missing from the call model: lost
    ]
    assert ledger.lost(calls, live={"1.3"}) == ["1.2", "1.3", "1.4"]
    assert ledger.lost(calls[:1], live=set()) == []


def test_demo_command_prints_one_json_object_and_takes_chaos(tmp_path, capsys,
                                                             monkeypatch) -> None:
    made: list[int | None] = []

    class Recorded(PbxSimulator):
        def __init__(self, **options: Any) -> None:
            made.append(options.get("chaos"))
            super().__init__(**options)

    monkeypatch.setattr("contactcenter.demo.PbxSimulator", Recorded)
    monkeypatch.setenv("CC_AGI_PORT", str(free_port()))
    monkeypatch.setenv("CC_FLOWS_DIRECTORY", FLOWS)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--headless", "--seconds", "1.5", "--json", "--rate", "4",
                 "--chaos", "5"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for key in ("offered", "answered", "abandoned", "overflowed", "in_progress", "lost",
                "double_offers"):
        assert isinstance(summary[key], int), key
    assert made == [5]  # the simulator ran in its interleaving mode
    assert summary["offered"] > 0
    assert (summary["lost"], summary["double_offers"]) == (0, 0)
