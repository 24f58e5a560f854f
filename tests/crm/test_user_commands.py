"""`contactcenter users ...` over a real SQLite database, as an admin types it."""

from __future__ import annotations

import io

import pytest

from contactcenter.cli import main
from contactcenter.crm.database import Database
from contactcenter.crm.users import Users


@pytest.fixture
def url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    monkeypatch.setenv("CC_DATABASE_URL", url)
    return url


def users(url: str, capsys, monkeypatch, *argv: str, password: str = "") -> tuple[int, str]:
    """One `contactcenter users` command, its password on standard input (a script's);
    (exit code, what it printed: its output, or its error)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    code = main(["users", *argv])
    printed = capsys.readouterr()
    return code, printed.out if code == 0 else printed.err


def test_users_are_added_listed_given_a_password_and_disabled(url, capsys,
                                                              monkeypatch) -> None:
    code, out = users(url, capsys, monkeypatch, "add", "Carol.Smith", "--name", "Carol",
                      "--device", "PJSIP/201", "--queue", "support=0", "--queue", "sales=2",
                      "--skill", "french=2", password="first-secret")
    assert (code, out.strip()) == (0, "added carol.smith (agent)")
    users(url, capsys, monkeypatch, "add", "sam", "--role", "supervisor",
          password="sam-secret")
    code, out = users(url, capsys, monkeypatch, "list")
    assert code == 0
    carol, sam = out.splitlines()
    assert carol.split() == ["carol.smith", "agent", "active", "PJSIP/201",
                             "sales=2,support=0"]
    assert sam.split() == ["sam", "supervisor", "active", "-", "-"]

    db = Database.open(url)
    try:
        assert Users(db).authenticate("carol.smith", "first-secret") is not None
        assert users(url, capsys, monkeypatch, "passwd", "CAROL.SMITH",
                     password="second-secret")[0] == 0
        assert Users(db).authenticate("carol.smith", "first-secret") is None
        assert Users(db).authenticate("carol.smith", "second-secret") is not None
        assert users(url, capsys, monkeypatch, "disable", "carol.smith")[0] == 0
        assert Users(db).authenticate("carol.smith", "second-secret") is None
    finally:
        db.close()
    assert "disabled" in users(url, capsys, monkeypatch, "list")[1].splitlines()[0]


@pytest.mark.parametrize(("argv", "password", "message"), [
    (("add", "dave"), "short", "password: must have at least 8"),
    (("add", "dave", "--queue", "support"), "long-enough", "queue: expected NAME=NUMBER"),
    (("add", "dave", "--device", "not a device"), "long-enough", "device:"),
    (("add", "sam"), "long-enough", "username 'sam' is taken"),
    (("passwd", "nobody"), "long-enough", "no user 'nobody'"),
    (("disable", "nobody"), "", "no user 'nobody'"),
])
def test_bad_input_is_refused_with_its_reason_and_writes_nothing(url, capsys, monkeypatch,
                                                                 argv, password,
                                                                 message) -> None:
    users(url, capsys, monkeypatch, "add", "sam", password="sam-secret")
    code, out = users(url, capsys, monkeypatch, *argv, password=password)
    assert code == 2 and message in out
    assert [line.split()[0] for line in
            users(url, capsys, monkeypatch, "list")[1].splitlines()] == ["sam"]
