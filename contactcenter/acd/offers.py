"""The offer lifecycle (pure): one call offered to one agent, from the Originate of the
agent's leg to the end of the agent's part in the call.

Asterisk reports an offer through events of three channels and of the Originate itself
(the agent's leg: DialBegin, Hangup; the caller: BridgeEnter, Hangup; OriginateResponse),
and events of different channels arrive in any order (DESIGN.md, step 6). So every rule is
one entry of TABLE, a map from (phase, event kind) to a handler that returns the next offer
and what the distributor must do; an event with no entry changes nothing and is reported as
ignored (a late or repeated event: the offer has moved on). The distributor only carries
out the Decision, under its lock.

Two rules make it safe under every order:
- the agent is freed only once their leg is gone (RELEASING waits for it), so no agent is
  rung while an old leg of theirs still lives, and a withdrawn call goes back to its queue
  only then, so it can never be bridged to two agents;
- once connected, the caller's fate when the agent leaves is decided here (hang up, unless
  the call was handed off by a transfer), never by music on hold starting again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import CallOutcome
from contactcenter.acd.routing import WaitingCall

NO_ANSWER = "no answer"


class Phase(StrEnum):
    PLACING = "placing"  # Originate sent; the agent's leg not seen yet
    RINGING = "ringing"  # the agent's leg rings
    ANSWERED = "answered"  # the agent answered; Bridge() joins the caller (a callback: dials)
    CONNECTED = "connected"  # caller and agent talk
    RELEASING = "releasing"  # over for the caller; waiting for the agent's leg to end
    ENDED = "ended"


# -- events: what happened, as the distributor learned it from the bus ----------------------

@dataclass(frozen=True)
class Placed:
    """Asterisk accepted the Originate (its ActionID ties the OriginateResponse to us)."""

    action_id: str


@dataclass(frozen=True)
class Refused:
    """The Originate was not placed: the PBX refused it, or the link was down."""


@dataclass(frozen=True)
class LegRinging:
    """The agent's leg showed (`at`: when the platform learned of it)."""

    channel: str
    at: float = 0.0


@dataclass(frozen=True)
class Answered:
    """OriginateResponse Success: the agent's phone answered (`at`: when the platform
    learned of it)."""

    channel: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class Failed:
    """OriginateResponse Failure: 0 no channel, 1 hung up, 3 no answer, 5 busy, 8 congested."""

    reason: int


@dataclass(frozen=True)
class Bridged:
    """The caller entered the bridge with the agent (a callback: the customer answered)."""

    at: float


@dataclass(frozen=True)
class LegGone:
    """The agent's leg hung up."""

    at: float


@dataclass(frozen=True)
class CallerGone:
    """The caller's channel hung up."""

    at: float


@dataclass(frozen=True)
class Withdrawn:
    """The agent logged out or paused (or was made to) while the call rang them."""


@dataclass(frozen=True)
class Vanished:
    """The agent's leg is gone and how was missed (the AMI link was down, or an Originate
    reply was lost and no leg ever showed): never the agent's fault."""


Event = (Placed | Refused | LegRinging | Answered | Failed | Bridged | LegGone | CallerGone
         | Withdrawn | Vanished)


# -- the offer and the decision -------------------------------------------------------------

@dataclass(frozen=True)
class Offer:
    call: WaitingCall
    agent_id: str
    device: str
    phase: Phase = Phase.PLACING
    at: float = 0.0  # when it was offered
    action_id: str = ""
    leg: str = ""  # the agent's channel, once seen
    leg_at: float = 0.0  # when the platform learned of that leg (0: before it was offered)
    connected_at: float = 0.0
    requeue: bool = False  # RELEASING: the call goes back to its queue once the leg is gone
    free_agent: bool = False  # RELEASING: the agent becomes available once the leg is gone

    @property
    def call_id(self) -> str:
        return self.call.call_id

    @property
    def callback(self) -> bool:
        return bool(self.call.callback)


@dataclass(frozen=True)
class Decision:
    """What the distributor does, in this order: hang up `hang_up_leg`; `connect` (the
    store settles the call, the agent goes on call); close the call with `end` as its
    outcome; `requeue` it at the head of its queue; count a `callback_failed` try; move the
    agent to `agent` (state, reason); then offer
    waiting calls again if an agent or a call became free (`dispatch`)."""

    offer: Offer
    hang_up_leg: str = ""
    connect: bool = False
    end: CallOutcome | None = None
    at: float = 0.0
    requeue: bool = False
    callback_failed: bool = False
    agent: tuple[AgentState, str] | None = None
    dispatch: bool = False
    ignored: bool = False  # the table had no rule: nothing changed

    @property
    def ended(self) -> bool:
        return self.offer.phase is Phase.ENDED


def step(offer: Offer, event: Event) -> Decision:
    """The offer after `event`, and what to do about it; nothing changes when no rule of
    TABLE covers (offer.phase, type(event))."""
    rule = TABLE.get((offer.phase, type(event)))
    return rule(offer, event) if rule is not None else Decision(offer, ignored=True)


# -- rules ------------------------------------------------------------------------------------

def _placed(offer: Offer, event: Placed) -> Decision:
    return Decision(replace(offer, action_id=event.action_id))


def _refused(offer: Offer, _event: Refused | Vanished) -> Decision:
    """Not placed, or gone unseen: back to the head, the agent free. A refusal is the
    platform's (its request, its link), never the agent's; the distributor bounds how
    often one call may be refused and offers nothing while the link is down."""
    return Decision(_ended(offer), requeue=True, agent=(AgentState.AVAILABLE, ""))


def _rings(offer: Offer, event: LegRinging) -> Decision:
    return Decision(replace(offer, phase=Phase.RINGING, leg=event.channel, leg_at=event.at))


def _answered(offer: Offer, event: Answered) -> Decision:
    known = offer.leg or not event.channel
    return Decision(replace(offer, phase=Phase.ANSWERED, leg=event.channel or offer.leg,
                            leg_at=offer.leg_at if known else event.at))


def _not_answered(offer: Offer, event: Failed | LegGone) -> Decision:
    """Ring-no-answer, busy or rejected: the call goes back to the head of its queue (its
    entry time kept) and the agent is paused, so the next offer goes to someone else."""
    return Decision(_ended(offer), requeue=True, agent=(AgentState.PAUSED, NO_ANSWER),
                    dispatch=True)


def _bridged(offer: Offer, event: Bridged) -> Decision:
    return Decision(replace(offer, phase=Phase.CONNECTED, connected_at=event.at), connect=True)


def _caller_left(offer: Offer, event: CallerGone) -> Decision:
    """The caller hung up before talking: abandoned now; the agent's leg is hung up and
    the agent is free once it is gone."""
    if offer.callback:  # a callback's call id is no channel: not its customer's hangup
        return Decision(offer, ignored=True)
    return Decision(replace(offer, phase=Phase.RELEASING, requeue=False, free_agent=True),
                    hang_up_leg=offer.leg, end=CallOutcome.ABANDONED, at=event.at)


def _withdrawn(offer: Offer, _event: Withdrawn) -> Decision:
    """The agent is gone (logged out): their leg is hung up, and the call goes back to the
    head of its queue once that leg is gone, never before (no second leg for one call)."""
    return Decision(replace(offer, phase=Phase.RELEASING, requeue=True, free_agent=False),
                    hang_up_leg=offer.leg)


def _answered_leg_gone(offer: Offer, event: LegGone) -> Decision:
    """The agent's leg ended before the bridge. A callback: the customer did not answer
    (the agent is free, the callback tries again later). A call: the agent dropped it
    before it was connected; like a ring-no-answer."""
    if offer.callback:
        return Decision(_ended(offer), callback_failed=True, at=event.at,
                        agent=(AgentState.AVAILABLE, ""), dispatch=True)
    return _not_answered(offer, event)


def _talk_over_agent(offer: Offer, event: LegGone) -> Decision:
    """The agent left a connected call: answered, the agent wraps up. The caller is
    Asterisk's to end: Bridge's `x` hangs them up, its F sends them to the after-call flow,
    a transfer took them, and a caller on hold is hung up by acd/call_actions.py, so the
    ACD sends no Hangup of its own (on a real Asterisk it only ever failed)."""
    return Decision(_ended(offer), end=CallOutcome.ANSWERED, at=event.at,
                    agent=(AgentState.WRAP_UP, ""))


def _talk_over_caller(offer: Offer, event: CallerGone) -> Decision:
    if offer.callback:
        return Decision(offer, ignored=True)
    return Decision(_ended(offer), end=CallOutcome.ANSWERED, at=event.at,
                    agent=(AgentState.WRAP_UP, ""))



def _late_leg(offer: Offer, event: LegRinging | Answered) -> Decision:
    """A leg that shows itself after the offer was given up is hung up at once."""
    channel = event.channel or offer.leg
    return Decision(replace(offer, leg=channel), hang_up_leg=channel)


def _released(offer: Offer, _event: LegGone | Refused | Vanished) -> Decision:
    """The agent's leg is gone: now the call may go back to its queue, the agent be free."""
    return Decision(_ended(offer), requeue=offer.requeue,
                    agent=(AgentState.AVAILABLE, "") if offer.free_agent else None,
                    dispatch=offer.requeue or offer.free_agent)


def _withdrawn_while_releasing(offer: Offer, _event: Withdrawn) -> Decision:
    """The agent logged out while we wait for their leg to end: they stay out."""
    return Decision(replace(offer, free_agent=False))


def _release_refused(offer: Offer, event: Refused) -> Decision:
    """Not placed after all: no leg will come (one already seen says otherwise: ignored)."""
    return Decision(offer, ignored=True) if offer.leg else _released(offer, event)


def _release_failed(offer: Offer, event: Failed) -> Decision:
    """The Originate failed: a leg never seen never will be; a leg seen is dying but still
    there (Asterisk sends OriginateResponse before the leg's Hangup), and its Hangup ends
    the offer: the call is not offered again while an offer of it is open."""
    return _released(offer, Refused()) if not offer.leg else Decision(offer, ignored=True)


def _releasing_caller_left(offer: Offer, event: CallerGone) -> Decision:
    """A withdrawn call's caller hung up while we wait for the leg: abandoned, not requeued."""
    if offer.callback or not offer.requeue:
        return Decision(offer, ignored=True)
    return Decision(replace(offer, requeue=False), end=CallOutcome.ABANDONED, at=event.at)


def _ended(offer: Offer) -> Offer:
    return replace(offer, phase=Phase.ENDED)


P = Phase
Rule = Callable[[Offer, Any], Decision]  # each rule takes the event kind it is keyed by
_RINGING_RULES: dict[type, Rule] = {
    Refused: _refused,
    Vanished: _refused,
    LegRinging: _rings,
    Answered: _answered,
    Failed: _not_answered,
    LegGone: _not_answered,
    Bridged: _bridged,
    CallerGone: _caller_left,
    Withdrawn: _withdrawn,
}
TABLE: dict[tuple[Phase, type], Rule] = {
    **{(P.PLACING, kind): rule for kind, rule in _RINGING_RULES.items()},
    (P.PLACING, Placed): _placed,
    **{(P.RINGING, kind): rule for kind, rule in _RINGING_RULES.items()
       if kind not in (LegRinging, Refused)},  # a leg rings: the Originate was placed
    (P.RINGING, Placed): _placed,
    (P.ANSWERED, Placed): _placed,
    (P.ANSWERED, Bridged): _bridged,
    (P.ANSWERED, LegGone): _answered_leg_gone,
    (P.ANSWERED, CallerGone): _caller_left,
    (P.ANSWERED, Withdrawn): _withdrawn,
    (P.ANSWERED, Vanished): _refused,
    (P.CONNECTED, LegGone): _talk_over_agent,
    (P.CONNECTED, CallerGone): _talk_over_caller,
    (P.RELEASING, Placed): _placed,
    (P.RELEASING, Refused): _release_refused,
    (P.RELEASING, LegRinging): _late_leg,
    (P.RELEASING, Answered): _late_leg,
    (P.RELEASING, LegGone): _released,
    (P.RELEASING, Vanished): _released,
    (P.RELEASING, Failed): _release_failed,
    (P.RELEASING, CallerGone): _releasing_caller_left,
    (P.RELEASING, Withdrawn): _withdrawn_while_releasing,
}
