"""The resync's decisions about the platform's own offers (acd/recovery.py `missed`): what
the live channels say happened while the platform was not listening; and the bridged calls
nobody follows (`unfollowed_bridges`), whose agent is on them whatever the store said."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contactcenter.acd.agents import Agent, AgentProfile, AgentState, found_talking
from contactcenter.acd.offers import (
    Bridged,
    CallerGone,
    LegGone,
    LegRinging,
    Offer,
    Phase,
    Vanished,
)
from contactcenter.acd.recovery import (
    GRACE_S,
    Orphan,
    gone,
    missed,
    orphan_offers,
    unfollowed_bridges,
)
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
        ("1.1", LegRinging(LEG.channel, 109.0)), ("1.1", Bridged(110.0))]


def test_an_originate_with_no_leg_is_given_up_only_past_its_ring_time() -> None:
    assert check([offer(Phase.PLACING, leg="")], CALLER, at=110.0) == []
    late = 100.0 + RING_S + GRACE_S + 1
    assert check([offer(Phase.PLACING, leg="")], CALLER, at=late, started=late) == [
        ("1.1", Vanished())]


def test_a_leg_learned_of_after_the_question_is_not_judged_by_its_absence() -> None:
    """Asterisk creates the leg a moment after it takes the Originate: a list asked
    meanwhile lacks it, though it rings (or talks) by the time the list is read."""
    for phase in (Phase.RINGING, Phase.ANSWERED, Phase.CONNECTED, Phase.RELEASING):
        late = replace(offer(phase, at=108.0), leg_at=109.5)
        assert check([late], CALLER, started=109.0) == []
    known = replace(offer(at=108.0), leg_at=108.5)  # it rang before the question: gone
    assert check([known], CALLER, started=109.0) == [("1.1", Vanished())]
    assert check([replace(offer(Phase.CONNECTED, at=108.0), leg_at=108.5)], CALLER,
                 started=109.0) == [("1.1", LegGone(110.0))]


def test_another_phones_leg_of_the_same_call_is_not_this_offers() -> None:
    old_leg = ChannelSnapshot(**{**vars(LEG), "channel": "SIP/agent102-00000009"})
    assert check([offer(Phase.PLACING, leg="")], CALLER, old_leg) == []


def test_offers_and_entries_newer_than_the_question_are_not_judged() -> None:
    assert check([offer(at=109.5)], started=109.0) == []
    fresh = WaitingCall("2.1", "SIP/carrier-2", "support", 109.5)
    assert gone([CALL, fresh], live=set(), started=109.0) == [CALL]


STARTED = 109.0  # when the resync asked for the channels


def agent(agent_id: str = "agent101", owner: str = "") -> Agent:
    return Agent(AgentProfile(agent_id, f"SIP/{agent_id}", {"support": 0}), owner=owner)


QUEUED = ChannelSnapshot(**{**vars(CALLER), "application": "", "bridge_id": "b1",
                            "variables": {cc.QUEUE: "support"}})
BRIDGED_LEG = ChannelSnapshot(**{**vars(LEG), "bridge_id": "b1"})


def test_a_bridged_call_nobody_follows_is_followed_with_the_legs_agent() -> None:
    agents = [agent("agent102"), agent()]
    assert unfollowed_bridges([QUEUED, BRIDGED_LEG], set(), agents, {"agent101"},
                              started=STARTED) == [
        (QUEUED, BRIDGED_LEG, agents[1])]


def test_an_agent_whose_state_changed_since_the_channels_were_asked_is_left_alone() -> None:
    """The bridge seen may be over by the time the store is read, the agent on another
    process's next call: the next resync judges them."""
    moved_on = replace(agent(), since=STARTED + 0.2)
    assert unfollowed_bridges([QUEUED, BRIDGED_LEG], set(), [moved_on], {"agent101"},
                              started=STARTED) == []


def test_a_bridged_call_someone_follows_is_left_alone() -> None:
    mine = {"agent101"}
    assert unfollowed_bridges([QUEUED, BRIDGED_LEG], {"1.1"}, [agent()], mine,
                              started=STARTED) == []
    assert unfollowed_bridges([QUEUED, BRIDGED_LEG], set(), [agent(owner="b")], set(),
                              started=STARTED) == []


def test_only_a_queued_caller_bridged_to_its_own_offers_leg_counts() -> None:
    mine = {"agent101"}
    other_bridge = ChannelSnapshot(**{**vars(BRIDGED_LEG), "bridge_id": "b2"})
    not_queued = ChannelSnapshot(**{**vars(QUEUED), "variables": {}})
    assert unfollowed_bridges([QUEUED, other_bridge], set(), [agent()], mine,
                              started=STARTED) == []
    assert unfollowed_bridges([not_queued, BRIDGED_LEG], set(), [agent()], mine,
                              started=STARTED) == []
    assert unfollowed_bridges([QUEUED], set(), [agent()], mine, started=STARTED) == []


@pytest.mark.parametrize("state", list(AgentState))
def test_an_agent_found_talking_is_on_that_call_whatever_the_store_said(
        state: AgentState) -> None:
    before = Agent(agent().profile, state, "break" if state is AgentState.PAUSED else "",
                   50.0, 40.0, None if state is AgentState.LOGGED_OUT else "0.9", "dead", 7)
    found = found_talking(before, "1.1", 100.0, "me")
    assert (found.state, found.call_id, found.owner, found.reason, found.rev) == (
        AgentState.ON_CALL, "1.1", "me", "", 7)
    assert found.since == 100.0
    talking = Agent(agent().profile, AgentState.ON_CALL, since=50.0, call_id="1.1", owner="x")
    assert found_talking(talking, "1.1", 100.0, "me") == Agent(
        agent().profile, AgentState.ON_CALL, since=50.0, call_id="1.1", owner="me")


def test_an_offer_the_store_kept_after_its_agent_moved_on_is_stale() -> None:
    offered = {"1.1": (CALL, "agent101")}
    ringing = Agent(agent().profile, AgentState.OFFERED, call_id="1.1", owner="dead")
    moved_on = Agent(agent().profile, AgentState.AVAILABLE)
    for who, stale in ((ringing, False), (moved_on, True)):
        assert orphan_offers(offered, set(), {"1.1"}, {}, {"agent101"},
                             {"agent101": who}) == [Orphan(CALL, "agent101", "", True, stale)]
    assert orphan_offers(offered, {"1.1"}, set(), {}, {"agent101"}, {}) == []  # followed

