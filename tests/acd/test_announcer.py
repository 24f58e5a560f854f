"""Announcements from plain values: what is said, and who is due when."""

from __future__ import annotations

import pytest

from contactcenter.acd.announcer import announcement_text, announcements_due
from contactcenter.acd.routing import WaitingCall
from contactcenter.queue_config import Announcements, QueueDefinition


@pytest.mark.parametrize(("position", "wait_s", "text"), [
    (1, 20.0, "You are next in line. Your estimated wait is less than a minute."),
    (3, 120.0, "You are number 3 in the queue. Your estimated wait is about 2 minutes."),
    (2, 75.0, "You are number 2 in the queue. Your estimated wait is about 1 minute."),
    (12, 1000.0, "You are number 12 in the queue. Your estimated wait is about 17 minutes."),
])
def test_the_announcement_says_place_and_wait(position: int, wait_s: float, text: str) -> None:
    assert announcement_text(position, wait_s) == text


DEFINITIONS = {
    "entry": QueueDefinition("entry", announcements=Announcements(True, 0)),
    "every": QueueDefinition("every", announcements=Announcements(True, 60)),
    "later": QueueDefinition("later", announcements=Announcements(False, 60)),
    "never": QueueDefinition("never", announcements=Announcements(False, 0)),
}


def call(cid: str, queue: str, entered: float = 100.0, callback: str = "") -> WaitingCall:
    return WaitingCall(cid, f"SIP/c-{cid}", queue, entered, callback=callback)


def due(calls: list[WaitingCall], announced: dict[str, float], now: float) -> list[str]:
    return [c.call_id for c in announcements_due(calls, DEFINITIONS, announced, now)]


def test_on_entry_is_once_and_every_n_seconds_after_the_last() -> None:
    calls = [call("e", "entry"), call("v", "every")]
    assert due(calls, {}, 100.0) == ["e", "v"]
    assert due(calls, {"e": 100.0, "v": 100.0}, 159.0) == []
    assert due(calls, {"e": 100.0, "v": 100.0}, 160.0) == ["v"]  # "entry" has no period


def test_without_on_entry_the_first_comes_a_period_after_entry() -> None:
    calls = [call("l", "later", entered=100.0), call("n", "never")]
    assert due(calls, {}, 159.0) == []
    assert due(calls, {}, 160.0) == ["l"]


def test_callbacks_and_undefined_queues_are_never_announced() -> None:
    assert due([call("c", "every", callback="+14155550123"), call("u", "nowhere")], {},
               1000.0) == []
