"""The resync's decisions (pure): what a process makes of the channels Asterisk reports
after a restart or AMI reconnect and of what the store kept; the distributor carries them out.

Waiting calls whose channel is gone are abandoned; callers parked in music on hold that the
store lacks join again at their original entry time (their CC_* variables, acd/parked.py).
With the Redis store, agent states and offers outlive the process too, and several
processes share them: each agent in a call is followed by one process (its owner, with a
heartbeat lease), and what an owner whose lease ended left is adopted by a live one: the
offer's ringing leg is hung up, and once it is gone its call goes back to the head (or is
ended, if the caller left) and its agent is free; an agent talking on a live leg is
followed to the hang-up, one whose leg is gone wraps up (and the call's record is closed),
a wrap-up without its timer gets one.

A bridged call is never cut: a caller of ours bridged to an agent's leg that no live
process follows (its offer died with a process, or the memory store did) is followed to
the hang-up, its agent on that call, whatever the store said of them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from contactcenter.acd.agents import Agent, AgentState
from contactcenter.acd.entry import WAIT_CONTEXT
from contactcenter.acd.offers import (
    Bridged,
    CallerGone,
    Event,
    LegGone,
    LegRinging,
    Offer,
    Phase,
    Vanished,
)
from contactcenter.acd.routing import WaitingCall
from contactcenter.cti import variables as cc
from contactcenter.cti.calls import device_of
from contactcenter.cti.events import ChannelSnapshot


def agent_legs(channels: Iterable[ChannelSnapshot]) -> dict[str, ChannelSnapshot]:
    """The agent legs by the call they were offered (the offer's Originate set CC_CALL_ID)."""
    return {snap.variables[cc.CALL_ID]: snap for snap in channels
            if snap.variables.get(cc.CALL_ID, snap.uniqueid) != snap.uniqueid}


def parked(channels: Iterable[ChannelSnapshot]) -> list[ChannelSnapshot]:
    """The callers waiting in a queue: in cc-wait music on hold with the IVR's CC_QUEUE
    (a caller on hold in cc-hold has CC_QUEUE too, but is connected to an agent)."""
    return [snap for snap in channels if snap.variables.get(cc.QUEUE)
            and snap.context == WAIT_CONTEXT and snap.application == "MusicOnHold"]


def gone(waiting: Iterable[WaitingCall], live: Collection[str],
         started: float) -> list[WaitingCall]:
    """Waiting calls whose caller's channel is gone (a callback has no channel to lose).
    A call that entered after the channels were asked (`started`) is not judged: its
    channel may have been born after that too."""
    return [call for call in waiting if call.call_id not in live and not call.callback
            and call.entered_at <= started]


GRACE_S = 5.0  # past its ring time, an offer with no leg and no answer is given up


def missed(offers: Iterable[Offer], channels: Collection[ChannelSnapshot], *, started: float,
           at: float, ring_s: Callable[[Offer], float]) -> list[tuple[str, Event]]:
    """The events the platform missed about its own offers, read off the live channels
    (call id, event), in the order to apply them. Offers made after the channels were asked
    (`started`) are not judged, nor is the absence of a leg the platform learned of only
    after that: Asterisk creates an originated leg a moment after it takes the Originate,
    so a list asked meanwhile lacks a leg that rings, or is even bridged, by the time the
    list is read (drill: the AMI link frozen; the offer was taken for gone and its caller
    offered again while the first agent talked). A leg gone unseen while it rang, or an
    Originate whose reply was lost and whose leg never showed past its ring time, is
    Vanished: never the agent's fault."""
    by_id = {snap.uniqueid: snap for snap in channels}
    by_name = {snap.channel: snap for snap in channels}
    legs = agent_legs(channels)
    found: list[tuple[str, Event]] = []
    for offer in offers:
        if offer.at > started:
            continue
        leg = by_name.get(offer.leg) if offer.leg else legs.get(offer.call_id)
        if leg is not None and not offer.leg and device_of(leg.channel) != offer.device:
            leg = None  # an older offer's leg of the same call, on another phone
        caller = by_id.get(offer.call_id)
        caller_live = offer.callback or caller is not None
        if leg is None and offer.leg and offer.leg_at > started:
            continue  # seen after the list was asked: its absence says nothing
        if offer.phase is Phase.CONNECTED:
            events: list[Event] = [LegGone(at)] if leg is None else \
                [] if caller_live else [CallerGone(at)]
        elif offer.phase is Phase.RELEASING:
            events = [Vanished()] if leg is None and (
                offer.leg or at - offer.at > ring_s(offer) + GRACE_S) else []
        elif not caller_live:
            events = [CallerGone(at)]
        elif leg is not None:
            events = [] if offer.leg else [LegRinging(leg.channel, started)]
            if caller is not None and caller.bridge_id and caller.bridge_id == leg.bridge_id:
                events.append(Bridged(at))
        else:
            events = [Vanished()] if offer.leg or at - offer.at > ring_s(offer) + GRACE_S \
                else []
        found.extend((offer.call_id, event) for event in events)
    return found


def unfollowed_bridges(channels: Collection[ChannelSnapshot], followed: Collection[str],
                       agents: Iterable[Agent], adoptable: Collection[str], *,
                       started: float) -> list[tuple[ChannelSnapshot, ChannelSnapshot, Agent]]:
    """(caller, agent leg, agent) of each queued caller bridged to the leg an offer of
    theirs rang (its CC_CALL_ID) that nobody follows: not this process (`followed`), and
    not a live process that has the leg's agent (only `adoptable` agents are taken). An
    agent whose state changed since the channels were asked (`started`) is left to the
    next resync: the bridge seen may be over, and the agent on another process's next
    call (seen with two processes: followed twice, a busy phone rung)."""
    legs = agent_legs(channels)
    by_device = {agent.profile.device: agent for agent in agents}
    found = []
    for caller in channels:
        leg = legs.get(caller.uniqueid)
        if (leg is None or not caller.variables.get(cc.QUEUE) or caller.uniqueid in followed
                or not caller.bridge_id or caller.bridge_id != leg.bridge_id):
            continue
        agent = by_device.get(device_of(leg.channel))
        if agent is not None and agent.agent_id in adoptable and agent.since < started:
            found.append((caller, leg, agent))
    return found


@dataclass(frozen=True)
class Orphan:
    """An offered call nobody follows."""

    call: WaitingCall
    agent_id: str
    leg: str  # its agent leg, to hang up; "" if it has none
    requeue: bool  # back to the head of its queue; False: the caller left (abandoned)
    stale: bool = False  # its agent moved on: the offer is over, only the store kept it


def adoptable(agents: Iterable[Agent], owners: Collection[str], me: str) -> set[str]:
    """The agents whose call this process may take over: followed by no live process
    (their owner's lease ended), or by this one (which then must be following them)."""
    return {agent.agent_id for agent in agents
            if not agent.owner or agent.owner == me or agent.owner not in owners}


def orphan_offers(offered: Mapping[str, tuple[WaitingCall, str]], followed: Collection[str],
                  live: Collection[str], legs: Mapping[str, ChannelSnapshot],
                  adoptable: Collection[str], agents: Mapping[str, Agent]) -> list[Orphan]:
    """Offers in the store that nobody follows: not this process, and no live owner. One
    whose agent is no longer offered that call is stale: a store failure kept it after
    its offer ended (the agent talked and wrapped up, or went away), so it ends nothing."""
    return [Orphan(call, agent_id, legs[call_id].channel if call_id in legs else "",
                   bool(call.callback) or call_id in live,
                   stale=(agent := agents.get(agent_id)) is None
                   or agent.state is not AgentState.OFFERED or agent.call_id != call_id)
            for call_id, (call, agent_id) in offered.items()
            if call_id not in followed and agent_id in adoptable]


class TakeOver(enum.Enum):
    FREE = "free"  # offered a call nobody follows: available again
    FOLLOW = "follow"  # talking on a live leg: followed to the hang-up
    WRAP_UP = "wrap_up"  # was talking, the call is gone: wraps up now
    TIME_WRAP_UP = "time_wrap_up"  # wrapping up with no timer to end it


def orphan_agents(agents: Iterable[Agent], followed: Collection[str], live: Collection[str],
                  legs: Collection[str], timed: Collection[str],
                  adoptable: Collection[str]) -> list[tuple[Agent, TakeOver]]:
    """What becomes of each agent whose call nobody follows; `timed`: agents with a
    wrap-up timer running."""
    steps = []
    for agent in agents:
        call_id = agent.call_id or ""
        if call_id in followed or agent.agent_id not in adoptable:
            continue
        if agent.state is AgentState.OFFERED:
            steps.append((agent, TakeOver.FREE))
        elif agent.state is AgentState.ON_CALL and call_id in legs and call_id in live:
            steps.append((agent, TakeOver.FOLLOW))
        elif agent.state is AgentState.ON_CALL:
            steps.append((agent, TakeOver.WRAP_UP))
        elif agent.state is AgentState.WRAP_UP and agent.agent_id not in timed:
            steps.append((agent, TakeOver.TIME_WRAP_UP))
    return steps
