"""Per-agent fan-out of screen pops and agent state to that agent's websockets only.

The last pop is kept until the call ends, so a reloaded page shows the current call again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict

from aiohttp import web

from contactcenter.acd.events import AgentStateChanged, CallEnded
from contactcenter.cti.events import ScreenPop


class PopHub:
    def __init__(self) -> None:
        self.sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self.last_pop: dict[str, dict[str, object]] = {}

    async def handle(self, event: object) -> None:
        """Bus consumer: route each event to the one agent it belongs to."""
        if isinstance(event, ScreenPop):
            message = {"type": "pop", "call_id": event.call_id, "payload": event.payload,
                       "at": event.at}
            self.last_pop[event.agent_id] = message
            await self.send(event.agent_id, message)
        elif isinstance(event, AgentStateChanged):
            await self.send(event.agent_id, {"type": "state", **asdict(event)})
        elif isinstance(event, CallEnded) and event.agent_id:
            pop = self.last_pop.get(event.agent_id)
            if pop and pop["call_id"] == event.call_id:
                del self.last_pop[event.agent_id]
            await self.send(event.agent_id, {"type": "ended", "call_id": event.call_id,
                                             "outcome": event.outcome})

    async def send(self, agent_id: str, message: dict[str, object]) -> None:
        text = json.dumps(message, default=str)
        for ws in list(self.sockets.get(agent_id, ())):
            if not ws.closed:
                await ws.send_str(text)
