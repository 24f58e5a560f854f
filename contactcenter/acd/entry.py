"""Queue entry (pure): whether a music-on-hold start is a caller joining a queue.

The dialplan parks a queued caller in [cc-wait] music on hold, and the ACD queues them when
that starts. But music on hold starts again for other reasons: a caller back from an
announcement ([cc-announce] then Goto cc-wait), a caller on hold ([cc-hold]), a caller
who went on in the dialplan after their agent left (Bridge without `x`, DESIGN.md step 6),
the same event seen twice, or seen before the agent's hang-up. So an entry is explicit:
whoever puts a caller in a queue (the IVR's queue step, a transfer to a queue) sets a new
CC_ENTRY token on the channel, and one token enters a queue at most once. A start in
cc-wait with a token already entered is never a second entry; if that call is no longer
waiting or offered, the caller is a stray whose call is over, and is hung up.
"""

from __future__ import annotations

from enum import StrEnum

WAIT_CONTEXT = "cc-wait"  # extensions.conf: MusicOnHold while the caller is queued


class Entry(StrEnum):
    JOIN = "join"  # a new entry: queue the call
    NOT_A_QUEUE = "not_a_queue"  # hold music elsewhere (cc-hold), or no CC_QUEUE: nothing
    SAME = "same"  # this entry is already waiting or offered: nothing
    STRAY = "stray"  # this entry was served or ended: the caller's call is over


def on_hold_start(context: str, queue: str, token: str, last_token: str | None, *,
                  held: bool) -> Entry:
    """What a music-on-hold start means. `token`: the channel's CC_ENTRY ("" if unset);
    `last_token`: the token this call last entered with (None: never entered); `held`:
    the store or an offer holds the call now."""
    if context != WAIT_CONTEXT or not queue:
        return Entry.NOT_A_QUEUE
    if held:
        return Entry.SAME
    if last_token is not None and token == last_token:
        return Entry.STRAY
    return Entry.JOIN
