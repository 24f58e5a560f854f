"""The resync's decisions about the platform's own offers (acd/recovery.py `missed`): what
the live channels say happened while the platform was not listening."""

from __future__ import annotations

from contactcenter.acd.offers import (
    Bridged,
    CallerGone,
    LegGone,
    LegRinging,
    Offer,
    Phase,
    Vanished,
)
from contactcenter.acd.recovery import GRACE_S, gone, missed
from contactcenter.acd.routing import WaitingCall
from contactcenter.cti import variables as cc
from contactcenter.cti.events import ChannelSnapshot

CALLER = ChannelSnapshot("1.1", "SIP/carrier-00000001", "+1415", "Ada", "cc-wait",
                         "MusicOnHold", "")
LEG = ChannelSnapshot("1.2", "SIP/agent101-00000002", "", "", "agents", "Bridge", "",
                      {cc.CALL_ID: "1.1"})
CALL = WaitingCall("1.1", CALLER.channel, "support", 100.0)
RING_S = 15.0


def offer(phase: Phase = Phase.RINGING, leg: str = LEG.channel, at: float = 100.0) -> Offer:
    return Offer(CALL, "agent101", "SIP/agent101", phase, at=at, leg=leg)


def check(offers: list[Offer], *channels: ChannelSnapshot, at: float = 110.0,
          started: float = 109.0) -> list[tuple[str, object]]:
    return missed(offers, channels, started=started, at=at, ring_s=lambda _o: RING_S)


def test_what_still_lives_as_expected_needs_nothing() -> None:
    assert check([offer()], CALLER, LEG) == []
    bridged = [ChannelSnapshot(**{**vars(s), "bridge_id": "b1"}) for s in (CALLER, LEG)]
    assert check([offer(Phase.CONNECTED)], *bridged) == []


def test_hang_ups_missed_while_talking_end_the_call() -> None:
    assert check([offer(Phase.CONNECTED)], CALLER) == [("1.1", LegGone(110.0))]
    assert check([offer(Phase.CONNECTED)], LEG) == [("1.1", CallerGone(110.0))]


def test_a_caller_who_left_while_the_agent_rang_is_an_abandon() -> None:
    assert check([offer()], LEG) == [("1.1", CallerGone(110.0))]


def test_a_leg_gone_unseen_while_ringing_is_never_the_agents_fault() -> None:
    assert check([offer()], CALLER) == [("1.1", Vanished())]


def test_a_leg_and_a_bridge_missed_are_caught_up_in_order() -> None:
    bridged = [ChannelSnapshot(**{**vars(s), "bridge_id": "b1"}) for s in (CALLER, LEG)]
    assert check([offer(Phase.PLACING, leg="")], *bridged) == [
        ("1.1", LegRinging(LEG.channel)), ("1.1", Bridged(110.0))]


def test_an_originate_with_no_leg_is_given_up_only_past_its_ring_time() -> None:
    assert check([offer(Phase.PLACING, leg="")], CALLER, at=110.0) == []
    late = 100.0 + RING_S + GRACE_S + 1
    assert check([offer(Phase.PLACING, leg="")], CALLER, at=late, started=late) == [
        ("1.1", Vanished())]


def test_another_phones_leg_of_the_same_call_is_not_this_offers() -> None:
    old_leg = ChannelSnapshot(**{**vars(LEG), "channel": "SIP/agent102-00000009"})
    assert check([offer(Phase.PLACING, leg="")], CALLER, old_leg) == []


def test_offers_and_entries_newer_than_the_question_are_not_judged() -> None:
    assert check([offer(at=109.5)], started=109.0) == []
    fresh = WaitingCall("2.1", "SIP/carrier-2", "support", 109.5)
    assert gone([CALL, fresh], live=set(), started=109.0) == [CALL]
