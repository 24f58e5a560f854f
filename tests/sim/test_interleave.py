"""The chaos interleaver, pure: each stream keeps its order, nothing is lost or doubled, the
same seed makes the same decisions, and nothing waits longer than its delay allows."""

from __future__ import annotations

import random

from contactcenter.sim.interleave import MAX_DELAY, Interleaver, streams


def random_run(seed: int, items: int = 300) -> tuple[list[tuple[int, tuple[str, ...]]],
                                                     list[tuple[int, tuple[str, ...]]]]:
    """Items pushed in bursts on a clock with 0-3 of 6 stream keys each, popped at uneven
    times: (pushed, popped). The traffic is drawn from its own generator, not the seed's."""
    traffic = random.Random(1000 + seed)
    interleaver: Interleaver[tuple[int, tuple[str, ...]]] = Interleaver(seed)
    pushed, popped = [], []
    now = 0.0
    for n in range(items):
        keys = tuple(traffic.sample("abcdef", traffic.randint(0, 3)))
        item = (n, keys)
        interleaver.push(item, keys, now)
        pushed.append(item)
        if traffic.random() < 0.3:
            now += traffic.uniform(0.0, 0.02)
            popped += interleaver.pop_due(now)
    popped += interleaver.drain()
    return pushed, popped


def test_every_stream_keeps_its_order_and_nothing_is_lost_or_doubled() -> None:
    reordered = 0
    for seed in range(200):
        pushed, popped = random_run(seed)
        assert sorted(popped) == pushed  # a permutation: no loss, no duplicate
        for key in "abcdef":
            assert [n for n, keys in popped if key in keys] == \
                [n for n, keys in pushed if key in keys], (seed, key)
        reordered += popped != pushed
    assert reordered == 200  # and the order out is not the order in


def test_the_same_seed_makes_the_same_decisions() -> None:
    assert random_run(5) == random_run(5)
    assert random_run(5)[1] != random_run(6)[1]


def test_nothing_waits_longer_than_its_delay_even_behind_its_streams() -> None:
    traffic = random.Random(3)
    interleaver: Interleaver[int] = Interleaver(3)
    pushed_at = [n * 0.004 for n in range(100)]
    for n, when in enumerate(pushed_at):
        interleaver.push(n, tuple(traffic.sample("ab", traffic.randint(0, 2))), when)
    out: list[int] = []
    for n, when in enumerate(pushed_at):
        out += interleaver.pop_due(when + MAX_DELAY)
        assert n in out  # out by its push time plus the largest delay
    assert len(interleaver) == 0 and interleaver.next_due() is None


def test_an_item_goes_out_once_its_delay_and_its_streams_allow() -> None:
    interleaver: Interleaver[str] = Interleaver(11)
    interleaver.push("first", ("x",), 0.0)
    interleaver.push("second", ("x",), 0.0)
    due = interleaver.next_due()
    assert due is not None and 0.0 <= due <= MAX_DELAY
    assert interleaver.pop_due(due - 1e-9) == []
    assert interleaver.pop_due(MAX_DELAY) == ["first", "second"]


def channel_event(event: str, uniqueid: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Event", event), ("Privilege", "call,all"), ("Channel", "SIP/x-1"),
            ("Uniqueid", uniqueid), *extra]


def test_streams_follow_channels_bridges_and_dials() -> None:
    assert streams(channel_event("Newstate", "1.1")) == ("channel:1.1",)
    assert streams(channel_event("BridgeEnter", "1.1", ("BridgeUniqueid", "b"))) == (
        "channel:1.1", "bridge:b")
    assert streams([("Event", "BridgeCreate"), ("BridgeUniqueid", "b")]) == ("bridge:b",)
    # DialBegin of a Dial() in the dialplan: the dialling and the dialled channel
    assert streams(channel_event("DialBegin", "1.1", ("DestUniqueid", "1.2"))) == (
        "channel:1.1", "channel:1.2")
    assert streams([("Event", "DialEnd"), ("DestUniqueid", "1.2")]) == ("channel:1.2",)
    assert streams([("Event", "DeviceStateChange"), ("Device", "SIP/agent101")]) == (
        "device:SIP/agent101",)
    # OriginateResponse is written by the originate thread, not the channel's: no stream
    assert streams(channel_event("OriginateResponse", "1.2", ("ActionID", "o"))) == ()
    assert streams(channel_event("OriginateResponse", "<unknown>")) == ()
