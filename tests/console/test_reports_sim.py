"""Reports over the simulator, across a restart: real calls through the whole platform
(FastAGI IVR, AMI, ACD) land in the queue log, and `contactcenter report` counts each once
and as the simulator saw it, with the rows of both platform processes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contactcenter.acd.events import CallEnded
from contactcenter.cli import main
from contactcenter.crm.database import Database
from contactcenter.crm.queue_log import QueueLog
from contactcenter.sim import CallOutcome, ScriptedAgent, ScriptedCaller
from tests.helpers import next_event

from .conftest import AGENTS, FLOWS, live_platform

PHONE = ScriptedAgent(answer_after=0.2, talk_seconds=0.5)  # answers, talks, hangs up


def caller(n: int, patience: float | None = None) -> ScriptedCaller:
    return ScriptedCaller(number=f"+1415555{n:04d}", name=f"Caller {n}", answers=("2",),
                          patience=patience)  # "2": support


async def calls(live, callers: list[ScriptedCaller]) -> list[CallOutcome]:  # type: ignore[no-untyped-def]
    """Place the callers at once; every outcome, once the ACD has closed each call."""
    with live.platform.bus.subscribe() as events:
        placed = [live.sim.place_call(c) for c in callers]
        outcomes = await asyncio.wait_for(asyncio.gather(*(c.wait() for c in placed)), 30)
        open_calls = {c.uniqueid for c in placed}
        while open_calls:
            ended = await next_event(events, CallEnded, lambda e: e.call_id in open_calls)
            open_calls.discard(ended.call_id)
    return outcomes


async def test_calls_before_and_after_a_restart_are_reported_once_each(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with live_platform(db_url, tmp_path, phone=PHONE) as live:
        for agent in AGENTS:
            await live.platform.distributor.set_available(agent)
        first = await calls(live, [caller(1), caller(2)])
        for agent in AGENTS:  # nobody to answer: the next caller gives up within 5 s
            await live.platform.distributor.pause(agent, "meeting")
        first += await calls(live, [caller(3, patience=1.0)])
    async with live_platform(db_url, tmp_path, phone=PHONE) as live:  # the restart
        await live.platform.distributor.set_available("agent101")
        second = await calls(live, [caller(4)])
    answered, gave_up = CallOutcome.ANSWERED, (CallOutcome.ABANDONED, CallOutcome.CLEARED)
    assert (first[:2], first[2] in gave_up, second) == ([answered] * 2, True, [answered])
    # (the simulator says "cleared" of a caller who hangs up in the entry announcement's AGI)

    config = tmp_path / "contactcenter.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[flows]\ndirectory = "{FLOWS}"\n')
    assert main(["--config", str(config), "report", "queues", "--interval", "1d",
                 "--tz", "UTC", "--queue", "support", "--format", "json"]) == 0
    (support,) = json.loads(capsys.readouterr().out)
    assert (support["offered"], support["answered"], support["short_abandoned"],
            support["abandoned"]) == (4, 3, 1, 0)
    assert support["service_level_pct"] == 100.0  # answered at once; the short one apart
    assert 0.4 < support["aht_s"] < 31  # 0.5 s of talk, wrap-up cut short by the pause
    assert main(["--config", str(config), "report", "agents", "--interval", "1d",
                 "--tz", "UTC", "--format", "json"]) == 0
    agents = json.loads(capsys.readouterr().out)
    assert sum(row["answered"] for row in agents) == 3
    assert {row["agent_id"] for row in agents} == set(AGENTS)
    paused = {row["agent_id"]: row["paused"] for row in agents}
    assert all(set(reasons) == {"meeting"} for reasons in paused.values())

    db = Database.open(db_url)
    try:
        now = datetime.now(UTC)
        kept = await asyncio.to_thread(QueueLog(db).between, now - timedelta(hours=1), now)
    finally:
        db.close()
    assert len({row.process for row in kept}) == 2  # one name per platform process
    assert len({row.key for row in kept}) == len(kept)
