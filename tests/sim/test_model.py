"""The pure parts: AMI framing as Asterisk reads it, the channel model's event order, and
the arrival processes."""

from __future__ import annotations

import random

from contactcenter.sim.ami_frames import ActionSplitter, format_message
from contactcenter.sim.channels import Pbx
from contactcenter.sim.dialplan import Location
from contactcenter.sim.scenario import poisson_arrivals


def test_splitter_reads_crlf_and_lf_and_trims_a_stray_cr_like_asterisk() -> None:
    splitter = ActionSplitter()
    # The transcript's 30.851 action: CR inside a value, a second Action header smuggled in.
    raw = (b"Action: Originate\r\nActionID: inj-1\r\nChannel: SIP/agent101\r\n"
           b"CallerID: evil\r\r\nAction: Hangup\r\r\nChannel: foo\r\nAsync: true\r\n\r\n")
    assert splitter.feed(raw[:20]) == []
    (action,) = splitter.feed(raw[20:] + b"Action: Ping\n")
    assert (action.name, action.get("CallerID"), action.get("Channel")) == (
        "Originate", "evil", "SIP/agent101")
    (ping,) = splitter.feed(b"ActionID: p\n\n")
    assert (ping.name, ping.action_id) == ("Ping", "p")


def test_format_message_writes_crlf_lines_and_a_blank_line() -> None:
    assert format_message([("Response", "Success"), ("Ping", "Pong")]) == \
        b"Response: Success\r\nPing: Pong\r\n\r\n"


def test_abandon_in_music_on_hold_follows_the_transcript_order() -> None:
    events: list[dict[str, str]] = []
    pbx = Pbx(lambda fields: events.append(dict(fields)))
    ch = pbx.new_inbound("+442071838750", "Grace Hopper", "5001")
    assert ch.name == "SIP/carrier-0000000d" and ch.uniqueid.endswith(".14")
    ch.variables["CC_QUEUE"] = "support"
    step = pbx.goto(ch, Location("from-pstn", "5001", 4))
    assert step is not None and step.application == "MusicOnHold" and ch.on_hold
    del events[:]
    pbx.caller_hangs_up(ch)
    pbx.hangup(ch, 0)
    assert [e["Event"] for e in events] == [
        "HangupRequest", "MusicOnHoldStop", "SoftHangupRequest", "Hangup"]
    assert (events[-1]["Cause"], events[-1]["Cause-txt"]) == ("0", "Unknown")
    assert pbx.channels == {}


def test_a_call_the_ivr_ended_is_hung_up_after_the_agi() -> None:
    events: list[dict[str, str]] = []
    pbx = Pbx(lambda fields: events.append(dict(fields)))
    ch = pbx.new_inbound("+14155550123", "Ada Lovelace", "5000")
    assert events[-1]["AppData"] == "agi://127.0.0.1:4573/main,5000"
    ch.variables["CC_IVR_END"] = "hangup"
    assert pbx.goto(ch, Location("from-pstn", "5000", 4)) is None
    assert [(e["Event"], e.get("AppData", e.get("Cause"))) for e in events[-4:]] == [
        ("Newexten", "0?cc-wait,s,1"), ("Newexten", "0?cc-fallback,s,1"), ("Newexten", ""),
        ("Hangup", "16")]


def test_poisson_arrivals_average_the_rate() -> None:
    counts = [len(list(poisson_arrivals(5.0, 10.0, random.Random(seed)))) for seed in range(40)]
    assert 45 <= sum(counts) / len(counts) <= 55
    offsets = list(poisson_arrivals(5.0, 10.0, random.Random(1)))
    assert offsets == sorted(offsets) and all(0 <= t < 10 for t in offsets)
