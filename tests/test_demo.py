"""The headless demo: simulator + platform over real TCP, counted against the simulator."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from contactcenter.app import refuse_demo_passwords
from contactcenter.cli import main
from contactcenter.config import load_config
from contactcenter.crm.database import Database
from contactcenter.crm.seed import seed
from contactcenter.cti.events import CallArrived, CallHungUp
from contactcenter.demo import DEMO_DATABASE, CallLedger, run_demo
from contactcenter.errors import ConfigError
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


async def test_headless_demo_answers_calls_and_tracks_every_one(tmp_path) -> None:
    """Long enough for calls to be answered, talked and ended (the IVR, a ring of up to
    2 s and 3 to 8 s of talk): a demo that routed no call would end with none answered."""
    summary = await run_demo(_config(tmp_path), headless=True, seconds=8.0, rate=2.0, seed=7)
    assert summary["offered"] > 0
    assert summary["answered"] > 0
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


async def test_the_console_demo_keeps_its_users_out_of_the_production_database(
        tmp_path, monkeypatch) -> None:
    """Demo users have published passwords: they go to var/demo.db, never to the database
    `contactcenter run` uses (var/contactcenter.db by default)."""
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={})
    config = dataclasses.replace(
        _config(tmp_path), database=config.database,  # the default, production URL
        web=dataclasses.replace(config.web, port=free_port()))
    await run_demo(config, headless=False, seconds=1.0, rate=1.0, seed=3)
    assert (tmp_path / "var" / "demo.db").exists()
    assert not (tmp_path / "var" / "contactcenter.db").exists()
    with pytest.raises(ConfigError, match="agent101"):
        refuse_demo_passwords(DEMO_DATABASE)


def test_run_refuses_to_start_while_a_demo_password_still_works(tmp_path, capsys,
                                                                monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    db = Database.open(url)
    seed(db, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    db.close()
    monkeypatch.setenv("CC_DATABASE_URL", url)
    monkeypatch.setenv("CC_AMI_PORT", str(free_port()))  # nothing there: never reached
    assert main(["run"]) == 2
    refusal = capsys.readouterr().err
    assert "agent101, agent102, agent103, resolver1, resolver2, supervisor, admin" in refusal
    assert "contactcenter users passwd" in refusal
    for user in ("agent101", "agent102", "agent103", "resolver1", "resolver2", "supervisor"):
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{user}-new-secret\n"))
        assert main(["users", "passwd", user]) == 0
    assert main(["users", "disable", "admin"]) == 0
    refuse_demo_passwords(url)  # none left: run would start
