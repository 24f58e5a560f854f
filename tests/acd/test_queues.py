"""queues.yaml loading: the shipped file, defaults, and file:line:column on bad input."""

from pathlib import Path

import pytest

from contactcenter.errors import FlowError
from contactcenter.queue_config import Announcements, OverflowRule, load_queue_definitions

SHIPPED = Path(__file__).parents[2] / "flows" / "queues.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "queues.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_file_defines_the_four_queues_with_their_rules() -> None:
    queues = load_queue_definitions(SHIPPED)
    assert set(queues) == {"billing", "support", "sales", "operator"}
    billing = queues["billing"]
    assert billing.wrap_up_seconds == 15 and billing.max_waiting == 50
    assert billing.overflow[0] == OverflowRule("queue", "operator", after_seconds=300)
    assert billing.overflow[1] == OverflowRule("callback", above_waiting=40)
    assert billing.announcements == Announcements(on_entry=True, every_seconds=60)
    assert queues["support"].aging_seconds == 120


def test_a_queue_with_no_settings_gets_the_defaults(tmp_path: Path) -> None:
    queue = load_queue_definitions(write(tmp_path, "queues:\n  lone:\n"))["lone"]
    assert (queue.name, queue.max_waiting, queue.overflow) == ("lone", 0, ())
    assert (queue.service_level_target_pct, queue.short_abandon_seconds) == (80.0, 5.0)


def test_the_service_level_target_and_short_abandons_are_set_per_queue(
        tmp_path: Path) -> None:
    path = write(tmp_path, "queues:\n  a:\n    service_level_target_pct: 90\n"
                           "    short_abandon_seconds: 3\n")
    queue = load_queue_definitions(path)["a"]
    assert (queue.service_level_target_pct, queue.short_abandon_seconds) == (90.0, 3.0)


@pytest.mark.parametrize(("text", "message", "line", "column"), [
    ("queues:\n  a:\n    wrap_up_seconds: soon\n", "wrap_up_seconds must be a number", 3, 22),
    ("queues:\n  a:\n    max_waiting: 2.5\n", "max_waiting must be a whole number", 3, 18),
    ("queues:\n  a:\n    wrapup: 3\n", "unknown setting 'wrapup'", 3, 5),
    ("queues:\n  a:\n    overflow:\n      - {after_seconds: 5, to: 'queue:nowhere'}\n",
     "unknown queue 'nowhere'", 4, 9),
    ("queues:\n  a:\n    overflow:\n      - {after_seconds: 5, to: fax}\n",
     "expected queue:<name>", 4, 32),
    ("queues:\n  a:\n    overflow:\n      - {to: voicemail}\n",
     "needs after_seconds or above_waiting", 4, 9),
    ("queues:\n  a:\n    announce: {every: 5}\n", "announce takes", 3, 15),
    ("queues:\n  a: [1\n", "expected", 3, 1),
    ("queues: 3\n", "expected a 'queues:' mapping", 1, 1),
    ("queues:\n  a:\n    after_call: Survey!\n", "after_call must name a flow", 3, 17),
    ("queues:\n  a:\n    service_level_target_pct: 120\n", "must be a percentage", 3, 31),
    ("queues:\n  a:\n    service_level_target_pct: 0\n", "must be a percentage", 3, 31),
    ("queues:\n  a:\n    short_abandon_seconds: -1\n", "short_abandon_seconds must", 3, 28),
])
def test_bad_input_names_file_line_and_column(tmp_path: Path, text: str, message: str,
                                              line: int, column: int) -> None:
    path = write(tmp_path, text)
    with pytest.raises(FlowError) as caught:
        load_queue_definitions(path)
    error = caught.value
    assert message in error.message
    assert (error.file, error.line, error.column) == (str(path), line, column)


def test_a_missing_file_is_a_flow_error(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="queues.yaml"):
        load_queue_definitions(tmp_path / "queues.yaml")


def test_after_call_names_a_flow_of_the_directory_when_the_flows_are_known(
        tmp_path: Path) -> None:
    path = write(tmp_path, "queues:\n  a:\n    after_call: survey\n  b:\n")
    queues = load_queue_definitions(path, {"main", "survey"})
    assert (queues["a"].after_call, queues["b"].after_call) == ("survey", "")
    assert load_queue_definitions(path)["a"].after_call == "survey"  # run time: unchecked
    with pytest.raises(FlowError) as caught:
        load_queue_definitions(path, {"main"})
    error = caught.value
    assert "queue 'a': after_call names no flow 'survey' (known: main)" in error.message
    assert (error.line, error.column) == (3, 17)
