"""Per-agent fan-out of screen pops and agent state to that agent's websockets only.

The pop is on the page with the ring, never after it: CallOffered is popped here at once
from what the offer itself says (caller ID, queue, IVR path and answers, wait) and the
CRM's record follows as a ScreenPop for the same call (crm_link/screenpop.py reads it in a
worker thread and may take a while, or fail). The ACD publishes CallOffered before it
rings the agent's phone, and this one consumer sends in bus order, so an agent whose phone
answers within milliseconds still sees the pop before `on_call`, and no CRM, slow or
down, ever holds the agent's state back. (Holding `on_call` until the CRM answered would
need a timeout to bound the delay, and still leave a ringing phone with no caller shown.)

A pop lasts while its call is the agent's: it is withdrawn when the offer ends without a
connection, i.e. the agent leaves `offered` for anything but `on_call` (ring-no-answer,
the caller gone while the phone rang, a callback the customer did not answer, a logout);
the agent's state tells it whatever the ACD publishes about the call. A CRM record that
arrives after that is dropped. The last pop of a live call is kept so that a reloaded page
shows it again; it goes when the call ends or the offer is withdrawn.

A websocket that is closed or fails a send is dropped (logged); the others still get theirs.
How long after the offer each pop reached the agent's page is told to `observe` (the
offer's own pop, then the CRM's record), for the pop latency on /metrics.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from typing import assert_never

from aiohttp import web

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import AgentStateChanged, CallEnded, CallOffered
from contactcenter.crm_link.events import ScreenPop
from contactcenter.crm_link.screenpop import offer_pop

log = logging.getLogger(__name__)


class PopHub:
    def __init__(self, observe: Callable[[str, float], None] = lambda _pop, _s: None,
                 clock: Callable[[], float] = time.time) -> None:
        self._observe = observe
        self._clock = clock
        self._offered_at: dict[str, float] = {}  # agent -> when the call shown was offered
        self.sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self.last_pop: dict[str, dict[str, object]] = {}  # agent -> pop of their live call
        self._shown: dict[str, str] = {}  # agent -> call their page shows (until the next)
        self._ringing: dict[str, str] = {}  # agent -> call offered to them, not yet answered

    async def handle(self, event: CallOffered | ScreenPop | AgentStateChanged | CallEnded) -> None:
        """Bus consumer: route each event to the one agent it belongs to."""
        match event:
            case CallOffered():
                self._shown[event.agent_id] = event.call_id
                self._offered_at[event.agent_id] = event.at
                message = _pop(event.call_id, offer_pop(event), event.at)
                self.last_pop[event.agent_id] = message
                if await self.send(event.agent_id, message):
                    self._observe("offer", self._clock() - event.at)
            case ScreenPop() if self._shown.get(event.agent_id) == event.call_id:
                message = _pop(event.call_id, event.payload, event.at)
                live = self.last_pop.get(event.agent_id)
                if live is not None and live["call_id"] == event.call_id:
                    self.last_pop[event.agent_id] = message
                if await self.send(event.agent_id, message):
                    self._observe("record", self._clock() - self._offered_at[event.agent_id])
            case ScreenPop():
                pass  # the record of a call the agent's page no longer shows
            case AgentStateChanged():
                await self._agent_changed(event)
            case CallEnded():
                if event.agent_id:
                    self._drop_last_pop(event.agent_id, event.call_id)
                    await self.send(event.agent_id, {"type": "ended", "call_id": event.call_id,
                                                     "outcome": event.outcome})
            case _:
                assert_never(event)

    async def _agent_changed(self, event: AgentStateChanged) -> None:
        ringing = self._ringing.pop(event.agent_id, None)
        if event.state is AgentState.OFFERED and event.call_id:
            self._ringing[event.agent_id] = event.call_id
        elif ringing is not None and event.state is not AgentState.ON_CALL:
            await self._withdraw(event.agent_id, ringing)
        await self.send(event.agent_id, {"type": "state", **asdict(event)})

    async def _withdraw(self, agent_id: str, call_id: str) -> None:
        """The offer of `call_id` ended unanswered: its pop leaves the agent's page."""
        self._drop_last_pop(agent_id, call_id)
        if self._shown.get(agent_id) == call_id:
            del self._shown[agent_id]
            await self.send(agent_id, {"type": "withdrawn", "call_id": call_id})

    def _drop_last_pop(self, agent_id: str, call_id: str) -> None:
        pop = self.last_pop.get(agent_id)
        if pop is not None and pop["call_id"] == call_id:
            del self.last_pop[agent_id]

    async def send(self, agent_id: str, message: dict[str, object]) -> int:
        """To every open page of the agent; a socket that is closed or fails is forgotten.
        How many pages got it."""
        text = json.dumps(message, default=str)
        sockets = self.sockets.get(agent_id, set())
        sent = 0
        for ws in list(sockets):
            if ws.closed:
                sockets.discard(ws)
                continue
            try:
                await ws.send_str(text)
                sent += 1
            except Exception as exc:  # a page gone mid-send must not stop anyone's pops
                log.warning("pop hub: %s to %s failed (%r); socket dropped",
                            message.get("type"), agent_id, exc)
                sockets.discard(ws)
        return sent


def _pop(call_id: str, payload: dict[str, object], at: float) -> dict[str, object]:
    return {"type": "pop", "call_id": call_id, "payload": payload, "at": at}
