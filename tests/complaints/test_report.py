"""`contactcenter report complaints` on a real SQLite database: figures as text and JSON,
the complaints as CSV, the period and filters applied, a broken settings file refused."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contactcenter.cli import main
from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from tests.complaints.conftest import SETTINGS

FLOWS = Path(__file__).parents[2] / "flows"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Ada's two complaints (billing on 2 November, service on 4 November, New York time)
    and Grace's one (billing, 4 November), in a SQLite file the config names."""
    url = f"sqlite:///{tmp_path}/crm.db"
    db = Database.open(url)
    customers = Customers(db)
    ada = customers.create(name="Ada Lovelace", phones=["+14155550123"]).id
    grace = customers.create(name="Grace Hopper").id
    for day, who, category, subcategory in ((2, ada, "billing", "refund"),
                                             (4, ada, "service", "outage"),
                                             (4, grace, "billing", "refund")):
        desk = ComplaintDesk(db, SETTINGS,
                             lambda day=day: datetime(2026, 11, day, 15, tzinfo=UTC))
        desk.open(desk.draft(subject="Complaint", category=category, subcategory=subcategory,
                             severity="high", customer_id=who), actor="agent101")
    db.close()
    path = tmp_path / "contactcenter.toml"
    path.write_text(f'[database]\nurl = "{url}"\n[flows]\ndirectory = "{FLOWS}"\n')
    return path


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--config", str(config), "report", "complaints", *args])
    return code, capsys.readouterr().out


def test_text_figures(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(config, capsys)
    assert code == 0
    assert out.splitlines()[0] == "complaints received: 3, open: 3, overdue: 3, escalated: 0"
    assert "open by category:\n  billing: 2\n  service: 1\n" in out
    assert "customers with repeated complaints:\n  Ada Lovelace (#1): 2" in out


def test_json_with_a_period_and_a_filter(config: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(config, capsys, "--from", "2026-11-03", "--to", "2026-11-04",
                    "--category", "billing", "--format", "json")
    figures = json.loads(out)
    assert (code, figures["received"], figures["received_per_day"]) == (
        0, 1, {"2026-11-04": 1})


def test_csv_one_row_per_complaint(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(config, capsys, "--to", "2026-11-02", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["customer"], r["category"]) for r in rows] == [
        ("Ada Lovelace", "billing")]


def test_broken_settings_are_refused_with_their_place(config: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    broken = tmp_path / "complaints.yaml"
    shutil.copy(FLOWS / "complaints.yaml", broken)
    broken.write_text(broken.read_text().replace("team: billing\n", "team: finance\n", 1))
    code = main(["--config", str(config), "report", "complaints", "--settings", str(broken)])
    assert code == 2
    assert f"{broken}:22:5: category 'billing': team 'finance' is not one of the teams" in (
        capsys.readouterr().err)
