"""Queue entry (acd/entry.py): a music-on-hold start queues a caller once per CC_ENTRY
token, whatever else makes music on hold start again."""

from __future__ import annotations

import pytest

from contactcenter.acd.entry import WAIT_CONTEXT, Entry, on_hold_start


def test_a_first_start_in_cc_wait_joins() -> None:
    assert on_hold_start(WAIT_CONTEXT, "support", "t1", None, held=False) is Entry.JOIN
    assert on_hold_start(WAIT_CONTEXT, "support", "", None, held=False) is Entry.JOIN


@pytest.mark.parametrize("context,queue", [("cc-hold", "support"), ("cc-announce", "support"),
                                           (WAIT_CONTEXT, "")])
def test_hold_music_elsewhere_or_without_a_queue_is_no_entry(context: str, queue: str) -> None:
    assert on_hold_start(context, queue, "t1", None, held=False) is Entry.NOT_A_QUEUE


@pytest.mark.parametrize("last", [None, "t1", "t0"])
def test_a_call_already_waiting_or_offered_never_enters_twice(last: str | None) -> None:
    """Back from an announcement, a duplicate event, or music before the agent's hang-up."""
    assert on_hold_start(WAIT_CONTEXT, "support", "t1", last, held=True) is Entry.SAME


def test_a_caller_back_on_hold_after_the_call_ended_is_a_stray() -> None:
    """Bridge without `x`: the caller went on in the dialplan after the agent left."""
    assert on_hold_start(WAIT_CONTEXT, "support", "t1", "t1", held=False) is Entry.STRAY


def test_a_new_token_is_a_new_entry() -> None:
    """A transfer to a queue sets a new CC_ENTRY: the same caller joins again."""
    assert on_hold_start(WAIT_CONTEXT, "sales", "t2", "t1", held=False) is Entry.JOIN
