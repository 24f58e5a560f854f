"""`contactcenter flows test` and `flows simulate`: the admins' flow tests pass when the flow
does what they say, and each failed expectation is reported at its own line."""

from __future__ import annotations

from pathlib import Path

from contactcenter.cli import main
from contactcenter.crm.database import Database
from contactcenter.crm.seed import seed

FLOWS = Path(__file__).parents[2] / "flows"
FLOW = """name: desk
steps:
  menu:
    menu:
      prompt: Press 1 for sales, 2 for the front desk.
      choices: {"1": sales, "2": desk}
      retries: 1
      no_input: Still there?
    on_exhausted: bye
  sales: {queue: {name: sales, priority: 3, fields: [menu_choice]}}
  desk: {transfer: PJSIP/100}
  bye: {hangup: Goodbye.}
"""
PASSING = """flow: desk
tests:
  - name: sales
    inputs: ["1"]
    path: [menu, sales]
    variables: {menu_choice: "1"}
    ends: {queue: sales, step: sales, variables: {CC_PRIORITY: "3"}, fields: {menu_choice: "1"}}
  - name: desk
    inputs: [2]
    ends: {transfer: PJSIP/100}
  - name: silence
    inputs: [~, ""]
    hears: [Still there?, Goodbye]
    ends: hangup
"""
FAILING = """flow: desk
tests:
  - name: wrong
    inputs: ["2", "1"]
    path: [menu, sales]
    hears: [Welcome]
    variables: {menu_choice: "1"}
    ends: {queue: sales}
  - name: wrong details
    inputs: ["1"]
    ends: {queue: sales, variables: {CC_PRIORITY: "1"}}
"""


def flows_dir(tmp_path: Path, tests: str) -> Path:
    (tmp_path / "queues.yaml").write_text("queues:\n  sales: {}\n")
    (tmp_path / "desk.yaml").write_text(FLOW)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "desk.yaml").write_text(tests)
    return tmp_path


def test_a_flow_test_that_holds_passes(tmp_path, capsys) -> None:
    flows = flows_dir(tmp_path, PASSING)
    assert main(["flows", "test", "--flows", str(flows)]) == 0
    assert capsys.readouterr().out.strip() == "3 flow test(s) in 1 file(s), 0 failure(s)"


def test_each_failed_expectation_is_reported_at_its_line(tmp_path, capsys) -> None:
    flows = flows_dir(tmp_path, FAILING)
    assert main(["flows", "test", "--flows", str(flows)]) == 1
    out = capsys.readouterr().out.splitlines()
    file = flows / "tests" / "desk.yaml"
    assert out[:-1] == [
        f"{file}:5:5: test 'wrong': path: expected menu > sales, got menu > desk",
        f"{file}:6:13: test 'wrong': the caller never hears 'Welcome'",
        f"{file}:7:17: test 'wrong': variable menu_choice: expected '1', got '2'",
        f"{file}:8:5: test 'wrong': ends: expected queue sales, got transferred to "
        "PJSIP/100 at step desk",
        f"{file}:4:5: test 'wrong': the flow ended before using the inputs ['1']",
        f"{file}:11:38: test 'wrong details': channel variable CC_PRIORITY: expected '1', "
        "got '3'",
    ]
    assert out[-1] == "2 flow test(s) in 1 file(s), 6 failure(s)"


def test_mistakes_in_a_test_file_are_reported_and_the_test_is_not_run(tmp_path, capsys) -> None:
    flows = flows_dir(tmp_path, """flow: desk
tests:
  - name: typo
    input: ["1"]
  - name: two ends
    ends: {queue: sales, transfer: x}
  - name: bad clock
    at: 2026-11-23T10:00:00
  - name: no such flow kind
    ends: parked
""")
    assert main(["flows", "test", "--flows", str(flows)]) == 1
    out = capsys.readouterr().out
    file = flows / "tests" / "desk.yaml"
    assert f"{file}:4:5: unknown field 'input'" in out
    assert f"{file}:6:5: ends needs exactly one of queue" in out
    assert f"{file}:8:5: at is a date and time with its offset" in out
    assert f"{file}:10:5: ends: 'parked' is not one of" in out
    assert "0 flow test(s)" in out


def test_a_test_of_a_flow_that_does_not_load_fails(tmp_path, capsys) -> None:
    flows = flows_dir(tmp_path, PASSING)
    (flows / "desk.yaml").write_text(FLOW.replace("on_exhausted: bye", ""))
    assert main(["flows", "test", "--flows", str(flows)]) == 1
    out = capsys.readouterr().out
    assert "desk.yaml:4:5: step 'menu': menu needs 'on_exhausted'" in out
    assert "test 'sales': no valid flow named 'desk'" in out


def test_no_tests_found_is_a_failure(tmp_path, capsys) -> None:
    assert main(["flows", "test", "--flows", str(flows_dir(tmp_path, PASSING)),
                 str(tmp_path / "tests" / "none")]) == 1


def test_the_shipped_flows_pass_check_and_their_tests(capsys) -> None:
    assert main(["flows", "check", str(FLOWS)]) == 0
    assert main(["flows", "test", "--flows", str(FLOWS)]) == 0
    assert "0 failure(s)" in capsys.readouterr().out


def test_simulate_prints_what_the_caller_hears_and_where_the_call_ends(tmp_path, capsys,
                                                                       monkeypatch) -> None:
    monkeypatch.setenv("CC_FLOWS_DIRECTORY", str(flows_dir(tmp_path, PASSING)))
    assert main(["flows", "simulate", "desk", "--input", "", "--input", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["[menu] asks: Press 1 for sales, 2 for the front desk.",
                       "[menu]   caller: (nothing)", "[menu] says: Still there?"]
    assert out[-2:] == ["path: menu > sales", "ends: queued in queue sales at step sales"]


def test_simulate_with_crm_looks_callers_up_in_the_configured_database(tmp_path, capsys,
                                                                       monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    db = Database.open(url)
    seed(db)
    db.close()
    monkeypatch.setenv("CC_FLOWS_DIRECTORY", str(FLOWS))
    monkeypatch.setenv("CC_DATABASE_URL", url)
    args = ["flows", "simulate", "main", "--caller", "+14155550123", "--input", "2"]
    assert main([*args, "--crm"]) == 0
    known = capsys.readouterr().out
    assert main(args) == 0
    unknown = capsys.readouterr().out
    assert "by phone +14155550123: found" in known and "Ada Lovelace" in known
    assert "by phone +14155550123: unknown" in unknown and "Ada Lovelace" not in unknown
