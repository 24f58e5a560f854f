"""The simulator's dialplan and Bridge()'s options, pure: what extensions.conf runs where, and
where a caller goes when the agent's leg leaves (features.c bridge_exec, bridge_after.c)."""

from __future__ import annotations

from contactcenter.sim.channels import Pbx
from contactcenter.sim.dialplan import (
    BridgeOptions,
    Dialplan,
    Location,
    after_bridge,
    parse_bridge_data,
)

WAIT_S2 = Location("cc-wait", "s", 2)
ANNOUNCE_S1 = Location("cc-announce", "s", 1)
AGENT = Location("agents", "s", 1)


def test_bridge_data_gives_the_channel_and_its_options() -> None:
    assert parse_bridge_data("SIP/carrier-0000000d") == ("SIP/carrier-0000000d", BridgeOptions())
    assert parse_bridge_data("SIP/carrier-0000000d,x") == (
        "SIP/carrier-0000000d", BridgeOptions(kill=True))
    assert parse_bridge_data("SIP/carrier-0000000d,F(cc-after-call^survey^1)") == (
        "SIP/carrier-0000000d", BridgeOptions(go_on="cc-after-call^survey^1"))
    # letters Bridge() knows but the simulator need not, and arguments with commas inside
    assert parse_bridge_data("SIP/c-1,hL(60000,30000)xF") == (
        "SIP/c-1", BridgeOptions(kill=True, go_on=""))


def test_x_hangs_the_caller_up() -> None:
    assert after_bridge(BridgeOptions(kill=True), WAIT_S2, AGENT) is None


def test_without_options_the_caller_goes_on_at_the_next_priority() -> None:
    # from music on hold: [cc-wait] s,3 Hangup; from the announcement: s,2 Goto(cc-wait,s,1)
    assert after_bridge(BridgeOptions(), WAIT_S2, AGENT) == Location("cc-wait", "s", 3)
    assert after_bridge(BridgeOptions(), ANNOUNCE_S1, AGENT) == Location("cc-announce", "s", 2)


def test_f_sends_the_caller_to_its_location_and_wins_over_x() -> None:
    survey = Location("cc-after-call", "survey", 1)
    assert after_bridge(BridgeOptions(go_on="cc-after-call^survey^1"), WAIT_S2, AGENT) == survey
    assert after_bridge(BridgeOptions(kill=True, go_on="cc-after-call^survey^1"),
                        WAIT_S2, AGENT) == survey
    # a bare F: the agent leg's next priority; a short F is read relative to the agent leg
    assert after_bridge(BridgeOptions(go_on=""), WAIT_S2, AGENT) == Location("agents", "s", 2)
    assert after_bridge(BridgeOptions(go_on="100^+2"), WAIT_S2, AGENT) == Location(
        "agents", "100", 3)
    assert after_bridge(BridgeOptions(go_on="a^b^label"), WAIT_S2, AGENT) is None


def test_the_dialplan_is_asterisk_configs() -> None:
    plan = Dialplan(agi_contexts={"cc-announce": "announce"})

    def app(context: str, exten: str, priority: int) -> tuple[str, str] | None:
        at = Location(context, exten, priority)
        step = plan.step(at)
        return None if step is None else (step.application, plan.render(step, at, {}))

    assert app("cc-announce", "s", 1) == ("AGI", "agi://127.0.0.1:4573/announce")
    assert app("cc-announce", "s", 2) == ("Goto", "cc-wait,s,1")
    assert app("cc-after-call", "survey", 1) == ("AGI", "agi://127.0.0.1:4573/survey")
    assert app("cc-after-call", "survey", 2) == ("Hangup", "")
    assert app("cc-wait", "s", 3) == ("Hangup", "")
    assert app("cc-wait", "s", 4) is None
    assert app("cc-wait", "x", 1) is None  # only the s extension
    assert app("nowhere", "s", 1) is None


def test_a_caller_sent_back_from_the_announcement_gets_music_on_hold_again() -> None:
    events: list[dict[str, str]] = []
    pbx = Pbx(lambda fields: events.append(dict(fields)),
              dialplan=Dialplan(agi_contexts={"cc-announce": "announce"}))
    ch = pbx.new_inbound("+14155550123", "Ada Lovelace", "5000")
    ch.variables["CC_QUEUE"] = "support"
    del events[:]
    step = pbx.goto(ch, Location("cc-announce", "s", 2))
    assert step is not None and step.application == "MusicOnHold"
    assert [(e["Event"], e["Context"], e["Priority"], e.get("AppData")) for e in events] == [
        ("Newexten", "cc-announce", "2", "cc-wait,s,1"),
        ("Newexten", "cc-wait", "1", "waiting in support"),
        ("Newexten", "cc-wait", "2", "default"),
        ("MusicOnHoldStart", "cc-wait", "2", None)]
