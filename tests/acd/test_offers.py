"""The offer table (acd/offers.py) without any I/O: each rule, each pair of events in both
orders, and every sequence of up to four events checked against what must always hold
(one end, one requeue, no agent freed while their leg lives, the caller hung up only
after a connected call nobody took over)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import pytest

from contactcenter.acd.agents import AgentState
from contactcenter.acd.offers import (
    NO_ANSWER,
    TABLE,
    Answered,
    Bridged,
    CallerGone,
    Decision,
    Event,
    Failed,
    LegGone,
    LegRinging,
    Offer,
    Phase,
    Placed,
    Refused,
    Vanished,
    Withdrawn,
    step,
)
from contactcenter.acd.routing import WaitingCall

LEG = "SIP/agent101-00000001"
CALL = WaitingCall("1.1", "SIP/carrier-00000001", "support", 100.0)
CALLBACK = WaitingCall("cb-1", "", "support", 100.0, callback="+14155550123")


def offer(call: WaitingCall = CALL, **changes: object) -> Offer:
    return Offer(call, "agent101", "SIP/agent101", **changes)  # type: ignore[arg-type]


@dataclass
class Story:
    """What a sequence of events made the distributor do, in order."""

    offer: Offer
    decisions: list[Decision] = field(default_factory=list)

    def of(self, name: str) -> list[Decision]:
        return [d for d in self.decisions if getattr(d, name)]

    @property
    def agent_moves(self) -> list[tuple[AgentState, str]]:
        return [d.agent for d in self.decisions if d.agent is not None]


def play(start: Offer, events: Iterable[Event]) -> Story:
    story = Story(start)
    for event in events:
        decision = step(story.offer, event)
        if decision.ignored:
            assert decision.offer == story.offer  # an event with no rule changes nothing
        story.offer = decision.offer
        story.decisions.append(decision)
    return story


# -- the rules, one story each -------------------------------------------------------------

def test_answered_then_agent_hangs_up_ends_answered_and_leaves_the_caller_to_asterisk() -> None:
    story = play(offer(), [Placed("a-1"), LegRinging(LEG), Answered(LEG), Bridged(110.0),
                           LegGone(130.0)])
    assert story.offer.phase is Phase.ENDED
    assert [d.connect for d in story.decisions].count(True) == 1
    (end,) = story.of("end")
    assert (end.end, end.at, end.offer.connected_at) == ("answered", 130.0, 110.0)
    assert story.agent_moves == [(AgentState.WRAP_UP, "")]
    assert not story.of("hang_up_leg") and not story.of("requeue")  # Bridge's x hangs
    # the caller up, or its F sends them on: the ACD sends no Hangup (issue 9)


def test_answered_then_caller_hangs_up_ends_answered_without_touching_anyone() -> None:
    story = play(offer(), [Placed("a-1"), LegRinging(LEG), Bridged(110.0), CallerGone(120.0)])
    (end,) = story.of("end")
    assert end.end == "answered" and story.agent_moves == [(AgentState.WRAP_UP, "")]
    assert not story.of("hang_up_leg")


@pytest.mark.parametrize("no_answer", [Failed(3), Failed(5), LegGone(115.0)])
def test_ring_no_answer_requeues_and_pauses_the_agent(no_answer: Event) -> None:
    story = play(offer(), [Placed("a-1"), LegRinging(LEG), no_answer])
    assert story.offer.phase is Phase.ENDED
    assert len(story.of("requeue")) == 1 and not story.of("end")
    assert story.agent_moves == [(AgentState.PAUSED, NO_ANSWER)]


def test_the_platforms_refusal_or_outage_never_pauses_the_agent() -> None:
    for gone_unseen in (Refused(), Vanished()):
        story = play(offer(), [gone_unseen])
        assert story.agent_moves == [(AgentState.AVAILABLE, "")]
        assert story.of("requeue") and not story.of("dispatch")  # the distributor goes on
    missed = play(offer(), [Placed("a-1"), LegRinging(LEG), Vanished()])
    assert missed.agent_moves == [(AgentState.AVAILABLE, "")] and missed.of("requeue")


def test_abandon_while_ringing_frees_the_agent_only_once_the_leg_is_gone() -> None:
    story = play(offer(), [Placed("a-1"), LegRinging(LEG), CallerGone(112.0)])
    assert story.offer.phase is Phase.RELEASING
    assert story.of("end")[0].end == "abandoned" and story.of("hang_up_leg")[0].hang_up_leg == LEG
    assert story.agent_moves == []
    story = play(story.offer, [LegGone(112.5)])
    assert story.agent_moves == [(AgentState.AVAILABLE, "")] and not story.of("requeue")


def test_the_offer_keeps_when_its_leg_became_known() -> None:
    rang = play(offer(), [Placed("a-1"), LegRinging(LEG, 105.0), Answered(LEG, 107.0)])
    assert (rang.offer.leg, rang.offer.leg_at) == (LEG, 105.0)  # first learned ringing
    answered = play(offer(), [Placed("a-1"), Answered(LEG, 107.0)])
    assert (answered.offer.leg, answered.offer.leg_at) == (LEG, 107.0)


def test_a_leg_not_seen_when_the_caller_left_is_hung_up_when_it_shows() -> None:
    story = play(offer(), [Placed("a-1"), CallerGone(112.0), LegRinging(LEG)])
    assert story.decisions[-1].hang_up_leg == LEG and story.offer.phase is Phase.RELEASING
    assert play(story.offer, [Failed(0)]).agent_moves == []  # the leg's Hangup frees the agent
    assert play(story.offer, [LegGone(113.0)]).agent_moves == [(AgentState.AVAILABLE, "")]


def test_an_originate_that_fails_before_any_leg_releases_at_once() -> None:
    story = play(offer(), [Placed("a-1"), CallerGone(112.0), Failed(0)])
    assert story.offer.phase is Phase.ENDED
    assert story.agent_moves == [(AgentState.AVAILABLE, "")]


def test_a_withdrawn_call_goes_back_only_once_the_leg_is_gone() -> None:
    story = play(offer(), [Placed("a-1"), LegRinging(LEG), Withdrawn()])
    assert story.decisions[-1].hang_up_leg == LEG and not story.of("requeue")
    failed_first = play(story.offer, [Failed(0), LegGone(113.0)])  # Asterisk's real order
    assert len(failed_first.of("requeue")) == 1 and failed_first.decisions[1].requeue
    assert failed_first.agent_moves == []  # the agent logged out: they stay out
    caller_left = play(story.offer, [CallerGone(112.5), LegGone(113.0)])
    assert [d.end for d in caller_left.of("end")] == ["abandoned"]
    assert not caller_left.of("requeue")


def test_a_callback_whose_customer_does_not_answer_frees_the_agent_for_a_retry() -> None:
    story = play(offer(CALLBACK), [Placed("a-1"), LegRinging(LEG), Answered(LEG),
                                   CallerGone(111.0), LegGone(140.0)])
    assert len(story.of("callback_failed")) == 1 and not story.of("end")
    assert story.agent_moves == [(AgentState.AVAILABLE, "")]
    talked = play(offer(CALLBACK), [Placed("a-1"), Answered(LEG), Bridged(120.0),
                                    LegGone(150.0)])
    assert talked.of("end")[0].end == "answered"


# -- every pair of events in both orders ---------------------------------------------------

ALPHABET: tuple[Event, ...] = (
    Placed("a-1"), Refused(), Vanished(), LegRinging(LEG), Answered(LEG),
    Failed(0), Failed(3), Bridged(110.0), LegGone(120.0), CallerGone(121.0), Withdrawn())
STARTS = {phase: offer(phase=phase, leg=LEG if phase is not Phase.PLACING else "",
                       connected_at=110.0 if phase is Phase.CONNECTED else 0.0)
          for phase in Phase}
STARTS_RELEASING = [offer(phase=Phase.RELEASING, leg=leg, requeue=requeue, free_agent=free)
                    for leg in ("", LEG) for requeue in (False, True) for free in (False, True)]


def holds(story: Story, events: Sequence[Event], start: Offer) -> None:
    """What must hold whatever the order the events arrived in."""
    ends = story.of("end")
    assert len(ends) <= 1, "a call ends once"
    assert len(story.of("connect")) <= (0 if start.phase is Phase.CONNECTED else 1)
    requeues = [i for i, d in enumerate(story.decisions) if d.requeue]
    assert len(requeues) <= 1, "a call goes back to its queue once"
    if requeues and ends:
        assert ends[0].end != "answered", "an answered call never goes back"
        assert story.decisions.index(ends[0]) > requeues[0], "an ended call never goes back"
    if story.of("connect") or start.phase is Phase.CONNECTED:
        assert not requeues
    leg_seen = bool(start.leg)
    leg_gone = start.phase is Phase.ENDED
    for event, decision in zip(events, story.decisions, strict=True):
        leg_seen |= isinstance(event, LegRinging | Answered)
        leg_gone |= isinstance(event, LegGone) or (
            isinstance(event, Failed | Refused) and not leg_seen) or isinstance(event, Vanished)
        if decision.agent == (AgentState.AVAILABLE, "") and not decision.callback_failed:
            assert leg_gone or (isinstance(event, Refused) and not leg_seen), \
                "an agent is free only once their leg is gone"
    ended_at = next((i for i, d in enumerate(story.decisions) if d.ended), None)
    if ended_at is not None:
        assert all(d.ignored for d in story.decisions[ended_at + 1:]), "ended is final"


@pytest.mark.parametrize("start", [*STARTS.values(), *STARTS_RELEASING],
                         ids=lambda o: f"{o.phase}-{o.leg and 'leg'}-{o.requeue}-{o.free_agent}")
def test_every_pair_of_events_in_both_orders(start: Offer) -> None:
    for first, second in itertools.permutations(ALPHABET, 2):
        for call in (CALL, CALLBACK):
            begin = replace(start, call=call)
            holds(play(begin, [first, second]), [first, second], begin)


def test_every_sequence_of_four_events_from_a_fresh_offer() -> None:
    for events in itertools.product(ALPHABET, repeat=4):
        for call in (CALL, CALLBACK):
            start = offer(call)
            holds(play(start, events), events, start)


def test_every_rule_is_reached_and_unknown_pairs_change_nothing() -> None:
    assert all(isinstance(phase, Phase) for phase, _ in TABLE)
    assert not any(phase is Phase.ENDED for phase, _ in TABLE)
    ended = offer(phase=Phase.ENDED)
    for event in ALPHABET:
        assert step(ended, event) == Decision(ended, ignored=True)
