"""The console's call controls as Asterisk plays them, for the simulator: hold (Redirect
with ExtraChannel into cc-hold / cc-hold-agent), resume (the Bridge action), BlindTransfer
and Atxfer/CancelAtxfer to a number dialled in cc-transfer. Mixed into PbxSimulator.

A transfer target is a carrier channel that answers per the simulator's ``customers``
scripts (an unknown number rings until the dial times out, as in ``[cc-callback]``).
Needs from the host: pbx, _by_channel, _gone, _customers, _callback_dial_seconds, _spawn,
_bridge, redirect, and empty _consultations and _transfers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING

from contactcenter.sim.channels import Channel, Pbx, Role, bridge_fields, channel_fields
from contactcenter.sim.dialplan import HOLD_CONTEXT, TRANSFER_CONTEXT, Location
from contactcenter.sim.scenario import ScriptedAgent

if TYPE_CHECKING:
    from contactcenter.sim.simulator import SimCall


@dataclass
class TransferTarget:
    """A number a transfer dialled, as a test sees it."""

    number: str
    channel: str
    answered: bool = False


@dataclass
class Consultation:
    """An attended transfer under way: the caller on hold, the agent with the target."""

    caller: str
    target: str
    completed: bool = False


def unbridge(pbx: Pbx, ch: Channel) -> None:
    """``ch`` leaves its bridge alive, and so do the others in it (unlike Pbx.leave_bridge,
    where the peer's Bridge() ends): what Redirect with ExtraChannel and Atxfer do."""
    bridge_id = ch.bridge_id
    if not bridge_id:
        return
    members = pbx.bridges[bridge_id]
    members.remove(ch.name)
    ch.bridge_id = ""
    pbx.set_var(ch, "BRIDGEPEER", "")
    pbx.emit("BridgeLeave", "call,all", [*bridge_fields(bridge_id, ch.bridge_tech, len(members)),
                                         *channel_fields(ch)])
    if not members:
        pbx.emit("BridgeDestroy", "call,all", bridge_fields(bridge_id, ch.bridge_tech, 0))
        del pbx.bridges[bridge_id]


def next_priority(ch: Channel) -> Location:
    """Where a channel goes on when a bridge it was put in by Dial() or the AMI Bridge action
    ends (action_bridge's ast_bridge_set_after_goto)."""
    return Location(ch.context, ch.exten, ch.priority + 1)


class CallFeatures:
    """CallControl methods for the AMI server; the host is a PbxSimulator."""

    pbx: Pbx
    _by_channel: dict[str, SimCall]
    _gone: dict[str, asyncio.Event]
    _customers: dict[str, ScriptedAgent]
    _callback_dial_seconds: float
    _spawn: Callable[[Coroutine[object, object, None]], None]
    _bridge: Callable[[Channel, Channel], None]
    redirect: Callable[[str, str, str, int], None]
    _consultations: dict[str, Consultation]  # by the transferring agent's channel
    _transfers: list[TransferTarget]

    @property
    def transfers(self) -> list[TransferTarget]:
        """The numbers the platform transferred callers to, in dialling order."""
        return list(self._transfers)

    def redirect_pair(self, channel: str, context: str, exten: str, priority: int,
                      extra: tuple[str, str, str, int]) -> None:
        """Redirect with ExtraChannel: both leave their bridge alive, then each goes to its
        own destination (cc-hold, cc-hold-agent, or anywhere a single Redirect goes)."""
        moves = ((channel, context, exten, priority), extra)
        for name, *_ in moves:
            unbridge(self.pbx, self.pbx.channels[name])
        for name, where, what, step in moves:
            self.redirect(name, where, what, step)

    def bridge_channels(self, channel1: str, channel2: str) -> None:
        """The AMI Bridge action: both leave what they were doing and talk; when the bridge
        ends, each goes on at its next priority."""
        first, second = self.pbx.channels[channel1], self.pbx.channels[channel2]
        caller, other = (second, first) if second.role is Role.CALLER else (first, second)
        for ch in (first, second):
            unbridge(self.pbx, ch)
            self.pbx.stop_hold(ch)
            ch.after_bridge = next_priority(ch)
        self._bridge(other, caller)

    def blind_transfer(self, channel: str, context: str, exten: str) -> bool:
        """BlindTransfer: the agent's bridged peer goes to context,exten; the agent's
        Bridge() then ends and the leg hangs up. False when nobody is bridged to it."""
        agent = self.pbx.channels[channel]
        peers = self.pbx.peers(agent)
        if not peers:
            return False
        caller = peers[0]
        unbridge(self.pbx, caller)
        self.pbx.hangup(agent, 16)
        self.redirect(caller.name, context, exten, 1)
        return True

    def attended_transfer(self, channel: str, context: str, exten: str) -> bool:
        """Atxfer: the peer waits on hold while the agent's leg dials context,exten and,
        once answered, talks to the target. False when nobody is bridged to the agent."""
        agent = self.pbx.channels[channel]
        peers = self.pbx.peers(agent)
        if not peers or context != TRANSFER_CONTEXT:
            return False
        caller = peers[0]
        unbridge(self.pbx, agent)
        unbridge(self.pbx, caller)
        self.pbx.goto(caller, Location(HOLD_CONTEXT, "s", 1))
        self.pbx.goto(agent, Location(TRANSFER_CONTEXT, exten, 1))
        target = self._dial(agent, exten)
        consultation = self._consultations[channel] = Consultation(caller.name, target.name)
        self._spawn(self._consult(agent, consultation, target))
        return True

    def cancel_attended_transfer(self, channel: str) -> bool:
        """CancelAtxfer: the target is hung up and the agent is back with the caller."""
        consultation = self._consultations.pop(channel, None)
        if consultation is None:
            return False
        target = self.pbx.channels.get(consultation.target)
        if target is not None:
            unbridge(self.pbx, target)
            self.pbx.hangup(target, 16)
        if consultation.caller in self.pbx.channels:
            self.bridge_channels(channel, consultation.caller)
        return True

    def complete_attended_transfer(self, channel: str) -> bool:
        """The transferer hangs up during an attended transfer (atxferdropcall=no): the
        caller and the target are bridged (once the target answers). False otherwise."""
        consultation = self._consultations.pop(channel, None)
        if consultation is None:
            return False
        consultation.completed = True
        agent = self.pbx.channels[channel]
        unbridge(self.pbx, agent)
        self.pbx.hangup(agent, 16)
        target = self.pbx.channels.get(consultation.target)
        if target is not None and target.answered:
            self._join(target, consultation.caller)
        return True

    async def _transfer_dial(self, caller: Channel, at: Location) -> Location | None:
        """Dial() in ``[cc-transfer]`` on the caller (a blind transfer): bridged to the target
        when it answers (None); unanswered, the dialplan goes on (and hangs up)."""
        target = self._dial(caller, at.exten)
        if await self._answered(target):
            self._join(target, caller.name)
            return None
        return at.next()

    # -- helpers ------------------------------------------------------------------------------

    def _join(self, target: Channel, caller_name: str) -> None:
        """The transfer's target and the caller talk; a caller gone meanwhile ends it. The
        dialled target hangs up when the caller leaves; the caller goes on in its dialplan."""
        caller = self.pbx.channels.get(caller_name)
        if caller is None:
            self.pbx.hangup(target, 16)
            return
        unbridge(self.pbx, target)
        self.pbx.stop_hold(caller)
        target.after_bridge, caller.after_bridge = None, next_priority(caller)
        self._bridge(target, caller)

    def _dial(self, dialler: Channel, number: str) -> Channel:
        """Dial() of ``[cc-transfer]`` running on `dialler`: the target rings."""
        target = self.pbx.dial_customer(dialler, number)
        self._transfers.append(TransferTarget(number, target.name))
        self._gone[target.name] = asyncio.Event()
        return target

    async def _answered(self, target: Channel) -> bool:
        """Whether the target answers (per ``customers``) before the dial times out; an
        unanswered or vanished target is hung up."""
        gone, seconds = self._gone[target.name], self._callback_dial_seconds
        script = self._customers.get(target.exten)
        after = script.answer_after if script is not None else None
        answers = after is not None and after < seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gone.wait(), after if answers else seconds)
        if gone.is_set() or not answers:
            self.pbx.hangup(target, 16 if gone.is_set() else 19)
            return False
        self.pbx.set_state(target, 6)
        target.answered = True
        next(t for t in self._transfers if t.channel == target.name).answered = True
        return True

    async def _consult(self, agent: Channel, consultation: Consultation,
                       target: Channel) -> None:
        """An attended transfer's consultation: once the target answers, the agent talks to
        it, or the caller does if the agent completed meanwhile; unanswered, the agent is
        back with the caller."""
        if await self._answered(target):
            if consultation.completed:
                self._join(target, consultation.caller)
            elif agent.name in self._consultations:
                agent.after_bridge, target.after_bridge = next_priority(agent), None
                self._bridge(agent, target)
        elif self._consultations.pop(agent.name, None) is not None \
                and agent.name in self.pbx.channels and consultation.caller in self.pbx.channels:
            self.bridge_channels(agent.name, consultation.caller)
