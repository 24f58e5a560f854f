"""`contactcenter report queues|agents` over the scripted day kept in a SQLite file: the
CSV and JSON carry the figures worked out by hand; bad input is refused with its reason."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from contactcenter.cli import main
from contactcenter.crm.database import Database
from tests.helpers import add_agents, record

from .scripted_day import (
    AGENT_COLUMNS,
    AGENT_TIME,
    AGENTS,
    COLUMNS,
    DAY,
    EVENTS,
    FIRST,
    MEMBERS,
    QUEUES,
    SECOND,
)

FLOWS = Path(__file__).parents[2] / "flows"
PERIOD = ("--from", f"{DAY}T09:00", "--to", f"{DAY}T10:00", "--tz", "Europe/Paris")


@pytest.fixture
async def config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path}/crm.db"
    db = Database.open(url)
    add_agents(db, MEMBERS)
    await record(db, EVENTS, "host-a:101:aa")
    db.close()
    path = tmp_path / "contactcenter.toml"
    path.write_text(f'[database]\nurl = "{url}"\n[flows]\ndirectory = "{FLOWS}"\n')
    return path


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(config), "report", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def cell(text: str) -> object:
    """A CSV cell as the report's value: "" is None, numbers are numbers."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def starts(lines: list[dict[str, str]]) -> list[str]:
    return sorted({line["start"] for line in lines})


async def test_the_queue_csv_is_the_day_worked_out_by_hand(config, capsys) -> None:
    code, out, _ = run(config, capsys, "queues", "--interval", "30m", *PERIOD,
                       "--format", "csv")
    assert code == 0
    lines = list(csv.DictReader(io.StringIO(out)))
    assert starts(lines) == ["2026-03-02T09:00:00+01:00", "2026-03-02T09:30:00+01:00"]
    found: dict = {}
    for line in lines:
        key = FIRST if line["start"].endswith("09:00:00+01:00") else SECOND
        found.setdefault(key, []).append(tuple(cell(line[c]) for c in COLUMNS))
    assert found == QUEUES


async def test_the_agent_csv_is_the_day_worked_out_by_hand(config, capsys) -> None:
    code, out, _ = run(config, capsys, "agents", "--interval", "30m", *PERIOD,
                       "--format", "csv")
    assert code == 0
    lines = list(csv.DictReader(io.StringIO(out)))
    for line in lines:
        key = FIRST if line["start"].endswith("09:00:00+01:00") else SECOND
        assert tuple(cell(line[c]) for c in AGENT_COLUMNS) in AGENTS[key]
        seconds, paused = AGENT_TIME[(key, line["agent_id"])]
        states = ("logged_out", "available", "offered", "on_call", "wrap_up", "paused")
        assert tuple(cell(line[f"{s}_s"]) for s in states) == seconds
        assert {reason: cell(line[f"paused:{reason}_s"]) for reason in paused} == paused
    assert len(lines) == 4


async def test_json_all_queues_a_day_and_one_queue(config, capsys) -> None:
    code, out, _ = run(config, capsys, "queues", "--interval", "1d", "--from", DAY, "--to", DAY,
                       "--tz", "Europe/Paris", "--format", "json", "--all")
    assert code == 0
    (day,) = json.loads(out)
    assert (day["queue"], day["offered"], day["answered"], day["transfers"]) == ("all", 8, 3, 1)
    assert day["start"] == "2026-03-01T23:00:00+00:00"  # midnight in Paris
    code, out, _ = run(config, capsys, "queues", "--interval", "60m", *PERIOD,
                       "--queue", "support")
    assert code == 0
    # occupancy: agent101 busy 460 of 3520 s, agent102 360 of 1555 s: 820 / 5075
    assert out.splitlines() == [
        "2026-03-02 09:00 support: offered 4, answered 2, abandoned 1 (+1 short), "
        "overflowed 0, callbacks 0, transfers 1, SL 33.3 %, abandon rate 33.3 %, ASA 53.5 s, "
        "AHT 345 s, longest wait 95 s, occupancy 16.2 %, staffed 1.41"]


@pytest.mark.parametrize(("args", "message"), [
    (("--interval", "20m"), "15m, 30m, 60m, 1d"),
    (("--from", "yesterday"), "expected YYYY-MM-DD"),
    (("--from", "2026-03-03", "--to", "2026-03-02"), "ends before it starts"),
    (("--tz", "Mars/Olympus"), "unknown time zone"),
])
async def test_bad_input_is_refused_with_its_reason(config, capsys, args, message) -> None:
    code, _, err = run(config, capsys, "queues", *args)
    assert code == 2 and message in err
