"""A corpus of broken flow files: each is rejected with its message at its line, and
`flows check` prints them all as file:line:column in one run with a non-zero exit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contactcenter.cli import main
from contactcenter.ivr.flow import FlowErrors, load_flow
from contactcenter.ivr.runtime import flow_files, known_flows

BROKEN = Path(__file__).parent / "broken"  # its queues.yaml names the known queues
QUEUES = {"billing", "support", "sales", "operator"}


def expectation(path: Path) -> tuple[int, str]:
    first = path.read_bytes().decode("utf-8", errors="replace").splitlines()[0]
    line, message = re.match(r"# expect: (\d+): (.*)", first).groups()
    return int(line) + 1, message  # +1: the expectation comment is line 1 of the file


@pytest.mark.parametrize("path", flow_files(BROKEN), ids=lambda p: p.stem)
def test_broken_flow_reports_message_and_line(path: Path) -> None:
    line, message = expectation(path)
    with pytest.raises(FlowErrors) as info:
        load_flow(path, QUEUES, known_flows(BROKEN))  # as `flows check` on one file
    found = [(e.line, e.message) for e in info.value.errors]
    assert any(ln == line and message in text for ln, text in found), found
    assert all(e.file == str(path) and e.column >= 1 for e in info.value.errors)


def test_corpus_is_large_enough() -> None:
    assert len(flow_files(BROKEN)) >= 30


def test_check_prints_every_error_and_fails(capsys) -> None:
    assert main(["flows", "check", str(BROKEN)]) == 1
    printed = capsys.readouterr()
    assert printed.err == ""  # hostile files included: messages, never a traceback
    out = printed.out.splitlines()
    for path in flow_files(BROKEN):
        line, _ = expectation(path)
        assert any(o.startswith(f"{path}:{line}:") for o in out), path.name


def test_shipped_flows_pass_check(capsys) -> None:
    flows = Path(__file__).parents[2] / "flows"
    assert main(["flows", "check", str(flows)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_check_reports_a_broken_queues_file_with_its_position(tmp_path, capsys) -> None:
    (tmp_path / "queues.yaml").write_text("queues:\n  support:\n    wrap_up_seconds: -1\n")
    (tmp_path / "main.yaml").write_text("name: main\nsteps:\n  a: {hangup: }\n")
    assert main(["flows", "check", str(tmp_path)]) == 1
    assert f"{tmp_path / 'queues.yaml'}:3:" in capsys.readouterr().out


def test_check_reports_an_after_call_naming_no_flow_with_its_position(tmp_path,
                                                                       capsys) -> None:
    (tmp_path / "queues.yaml").write_text("queues:\n  support:\n    after_call: survy\n")
    (tmp_path / "main.yaml").write_text("name: main\nsteps:\n  a: {hangup: }\n")
    (tmp_path / "survey.yaml").write_text("name: survey\nsteps:\n  a: {hangup: }\n")
    assert main(["flows", "check", str(tmp_path)]) == 1
    assert (f"{tmp_path / 'queues.yaml'}:3:17: queue 'support': after_call names no flow "
            "'survy' (known: main, survey)") in capsys.readouterr().out


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, capsys) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("name: big\nsteps:\n  a: {hangup: }\n" + "# padding\n" * 30_000)
    assert main(["flows", "check", str(big)]) == 1
    assert f"{big}:1:1: file is larger than 256 KiB" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "message", "line"), [
    (b"queues:\n  support:\n    description: caf\xe9\n", "not UTF-8", 3),
    (b"queues:\n  support: &s {max_waiting: 2}\n  sales: *s\n", "alias *s is not allowed", 3),
    (b"queues:\n  support:\n    description: \"a\x00b\"\n", "a NUL byte", 3),
    (b"queues:\n  support:\n  1:\n", "queue name 1 must be text", 3),
])
def test_a_hostile_queues_file_is_reported_with_its_position(tmp_path, capsys, text: bytes,
                                                            message: str, line: int) -> None:
    (tmp_path / "queues.yaml").write_bytes(text)
    (tmp_path / "main.yaml").write_text("name: main\nsteps:\n  a: {hangup: }\n")
    assert main(["flows", "check", str(tmp_path)]) == 1
    printed = capsys.readouterr()
    assert f"{tmp_path / 'queues.yaml'}:{line}:" in printed.out and message in printed.out
    assert printed.err == ""
