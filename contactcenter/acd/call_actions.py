"""Call actions an agent takes on their own connected call: hold and resume, blind transfer
to a queue or a number, attended transfer (start, complete, cancel), and click-to-dial.

An edge like the distributor: it finds the agent's call through Distributor.current_call
and acts with AMI actions (cti/bridge.py) in the contexts of asterisk-config/extensions.conf.
The ACD does the rest on the events: the agent's leg hanging up after a transfer ends
the call as answered and puts the agent in wrap-up; a caller parked in cc-wait queues.
A transfer done (the PBX took it) is published as CallTransferred, for the reports.

    async with CallActions(distributor, bridge, bus) as calls: ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol, assert_never

from contactcenter.acd.agents import AgentState
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.events import CallEnded, CallTransferred
from contactcenter.cti import variables as cc
from contactcenter.cti.dialing import dial_number
from contactcenter.cti.events import CallHungUp
from contactcenter.errors import AmiError, InvalidTransition
from contactcenter.events import BusConsumer, EventBus
from contactcenter.logs import call_fields

log = logging.getLogger(__name__)

HOLD_CONTEXT = "cc-hold"  # the caller's music on hold
AGENT_HOLD_CONTEXT = "cc-hold-agent"  # the agent's leg waits, silent, meanwhile
TRANSFER_CONTEXT = "cc-transfer"  # dials the extension (a number) through the carrier
WAIT_CONTEXT = "cc-wait"  # the ACD's queue: music on hold until an agent is offered
OUTBOUND = "outbound call"  # the pause reason while an agent dials out
RELEASE_SECONDS = 5.0  # how long a queue transfer waits for the ACD to close the agent's part


class PbxActions(Protocol):
    """What call actions need from the PBX link (cti.bridge.AmiBridge provides it)."""

    async def redirect(self, channel: str, context: str, exten: str,
                       priority: int = 1) -> None: ...
    async def redirect_pair(self, channel: str, context: str, exten: str, extra_channel: str,
                            extra_context: str, extra_exten: str) -> None: ...
    async def bridge_channels(self, channel1: str, channel2: str) -> None: ...
    async def blind_transfer(self, channel: str, context: str, exten: str) -> None: ...
    async def attended_transfer(self, channel: str, context: str, exten: str) -> None: ...
    async def cancel_attended_transfer(self, channel: str) -> None: ...
    async def set_variable(self, channel: str, name: str, value: str) -> None: ...
    async def hangup(self, channel: str, cause: int = 16) -> None: ...
    async def originate_dial(self, *, device: str, number: str, timeout_ms: int,
                             caller_id: str) -> None: ...


@dataclass(frozen=True)
class _Legs:
    """The agent's connected call: the caller's channel and the agent's own leg."""

    call_id: str
    caller: str
    agent: str
    queue: str
    after_call: str = ""  # the queue's after-call flow (Bridge F), "" for none


class CallActions(BusConsumer[CallEnded | CallHungUp]):
    def __init__(self, acd: Distributor, pbx: PbxActions, bus: EventBus, *,
                 dial_timeout_ms: int = 30000) -> None:
        self._acd = acd
        self._pbx = pbx
        self._bus = bus
        self._dial_timeout_ms = dial_timeout_ms
        self._held: dict[str, _Legs] = {}  # agent_id -> their call on hold
        self._consulting: dict[str, str] = {}  # agent_id -> number of an attended transfer
        self._ended: dict[str, asyncio.Future[None]] = {}  # call_id -> ACD closed it
        super().__init__(bus, self._handle, "call-actions")

    def status(self, agent_id: str) -> dict[str, object]:
        """What the console shows beside the call: on hold, consulting whom."""
        return {"held": agent_id in self._held, "consulting": self._consulting.get(agent_id)}

    async def hold(self, agent_id: str) -> None:
        """The caller hears music, the agent's leg waits: one Redirect moves both. The
        Redirect drops the caller's Bridge F (the after-call flow), so CC_AFTER_CALL on the
        caller tells [cc-hold] where to send them when the resumed call ends."""
        legs = self._connected(agent_id)
        if agent_id in self._held:
            raise InvalidTransition("the call is already on hold")
        if legs.after_call:
            await self._pbx.set_variable(legs.caller, cc.AFTER_CALL, legs.after_call)
        await self._pbx.redirect_pair(legs.caller, HOLD_CONTEXT, "s",
                                      legs.agent, AGENT_HOLD_CONTEXT, "s")
        self._held[agent_id] = legs

    async def resume(self, agent_id: str) -> None:
        legs = self._held.get(agent_id)
        if legs is None:
            raise InvalidTransition("the call is not on hold")
        await self._pbx.bridge_channels(legs.agent, legs.caller)
        del self._held[agent_id]

    async def transfer(self, agent_id: str, *, queue: str | None = None,
                       number: str | None = None) -> None:
        """Blind transfer to a queue (the caller waits there anew; the agent wraps up) or
        to a number (cc-transfer dials it; the agent's leg ends, the agent wraps up)."""
        if (queue is None) == (number is None):
            raise ValueError("transfer to a queue or to a number")
        legs = self._connected(agent_id)
        if queue is not None:
            target = _queue(queue, self._acd.queues)
            await self._to_queue(agent_id, legs, target)
            self._transferred(agent_id, legs, f"queue:{target}", "blind")
            return
        target = _number(number or "")
        await self._resume_if_held(agent_id)
        await self._pbx.blind_transfer(legs.agent, TRANSFER_CONTEXT, target)
        self._transferred(agent_id, legs, f"number:{target}", "blind")

    async def consult(self, agent_id: str, number: str) -> None:
        """Start an attended transfer: the caller on hold, the agent talks to `number`."""
        legs = self._connected(agent_id)
        if agent_id in self._consulting:
            raise InvalidTransition("an attended transfer is already under way")
        target = _number(number)
        await self._resume_if_held(agent_id)
        # the agent's leg hanging up completes the transfer: the caller is the target's then
        await self._pbx.attended_transfer(legs.agent, TRANSFER_CONTEXT, target)
        self._consulting[agent_id] = target

    async def complete_consult(self, agent_id: str) -> None:
        """The agent drops out (their leg hangs up): the caller and the target talk."""
        legs = self._consultation(agent_id)
        target = self._consulting[agent_id]
        await self._pbx.hangup(legs.agent)
        self._transferred(agent_id, legs, f"number:{target}", "attended")

    async def cancel_consult(self, agent_id: str) -> None:
        """The target is dropped and the agent is back with the caller."""
        legs = self._consultation(agent_id)
        await self._pbx.cancel_attended_transfer(legs.agent)
        del self._consulting[agent_id]

    async def dial(self, agent_id: str, number: str) -> None:
        """Click-to-dial: ring the agent's phone, then dial `number` and bridge them. The
        agent is paused first, so the ACD offers them nothing meanwhile."""
        number = _number(number)
        agent = await self._acd.store.agent(agent_id)
        if agent is None or agent.state in (AgentState.LOGGED_OUT, AgentState.OFFERED,
                                            AgentState.ON_CALL):
            raise InvalidTransition("click-to-dial needs a logged-in agent without a call")
        if agent.state is not AgentState.PAUSED:
            await self._acd.pause(agent_id, OUTBOUND)
        await self._pbx.originate_dial(device=agent.profile.device, number=number,
                                       timeout_ms=self._dial_timeout_ms,
                                       caller_id=f'"{number}" <{number}>')

    # -- internals ------------------------------------------------------------------------

    def _connected(self, agent_id: str) -> _Legs:
        current = self._acd.current_call(agent_id)
        if current is None:
            raise InvalidTransition(f"agent {agent_id} has no connected call")
        call, agent_channel = current
        definition = self._acd.queues.get(call.queue)
        after_call = definition.after_call if definition and not call.callback else ""
        return _Legs(call.call_id, call.channel, agent_channel, call.queue, after_call)

    def _consultation(self, agent_id: str) -> _Legs:
        if agent_id not in self._consulting:
            raise InvalidTransition("no attended transfer under way")
        return self._connected(agent_id)

    def _transferred(self, agent_id: str, legs: _Legs, to: str, kind: str) -> None:
        self._bus.publish(CallTransferred(legs.call_id, agent_id, legs.queue, to, kind,
                                          time.time()))

    async def _resume_if_held(self, agent_id: str) -> None:
        """Transfers act on a bridged call (BlindTransfer, Atxfer take the agent's peer)."""
        if agent_id in self._held:
            await self.resume(agent_id)

    async def _to_queue(self, agent_id: str, legs: _Legs, queue: str) -> None:
        """CC_* on the caller say where they wait and since when; both legs go on hold,
        the agent's leg hangs up (the ACD ends the call and starts the wrap-up), and only
        then the caller goes to cc-wait, so their music-on-hold start queues them."""
        at = time.time()
        now = f"{at:.3f}"
        for name, value in ((cc.QUEUE, queue), (cc.ENTERED, now), (cc.JOINED, now),
                            (cc.ENTRY, f"{at:.6f}")):
            await self._pbx.set_variable(legs.caller, name, value)
        if agent_id not in self._held:
            await self.hold(agent_id)
        released = self._ended[legs.call_id] = asyncio.get_running_loop().create_future()
        try:
            await self._pbx.hangup(legs.agent)
            await asyncio.wait_for(released, RELEASE_SECONDS)
        except TimeoutError:  # park the caller anyway rather than leave them on hold
            log.warning("queue transfer of %s: the ACD did not close the call in %.0f s; "
                        "the caller is parked in %s anyway", legs.call_id, RELEASE_SECONDS,
                        queue, extra=call_fields(legs.call_id, queue, agent_id))
        finally:
            self._ended.pop(legs.call_id, None)
        await self._pbx.redirect(legs.caller, WAIT_CONTEXT, "s")

    async def _handle(self, event: CallEnded | CallHungUp) -> None:
        """Bus consumer: a held call whose one leg hangs up loses the other too (but for a
        queue transfer, which keeps the caller); an ended call ends its attended transfer
        and releases a queue transfer waiting for it."""
        match event:
            case CallEnded():
                if (released := self._ended.get(event.call_id)) and not released.done():
                    released.set_result(None)
                self._consulting.pop(event.agent_id or "", None)
            case CallHungUp():
                for agent_id, legs in list(self._held.items()):
                    if event.channel in (legs.caller, legs.agent):
                        del self._held[agent_id]
                        if legs.call_id not in self._ended:
                            with contextlib.suppress(AmiError):  # gone already, usually
                                await self._pbx.hangup(
                                    legs.agent if event.channel == legs.caller else legs.caller)
            case _:
                assert_never(event)


def _number(text: str) -> str:
    number = dial_number(text)
    if number is None:
        raise ValueError(f"not a number to dial: {text!r}")
    return number


def _queue(name: str, queues: Collection[str]) -> str:
    if name not in queues:
        raise ValueError(f"no queue {name!r}")
    return name
