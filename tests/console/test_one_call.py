"""docs/one-call.md, asserted: one call over the simulator through the whole platform
(open_platform), answered by agent101 who then hangs up, publishes its hops' events in the
documented order, and ends with its CRM row closed as answered."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contactcenter.acd.agents import AgentState
from contactcenter.acd.events import (
    AgentStateChanged,
    CallConnected,
    CallEnded,
    CallOffered,
    CallQueued,
)
from contactcenter.crm.interactions import Interactions
from contactcenter.crm_link.events import ScreenPop
from contactcenter.cti.events import (
    AgentLegRinging,
    CallArrived,
    CallBridged,
    CallHungUp,
    CallVariableSet,
    CallWaiting,
    OriginateResult,
)
from contactcenter.ivr.events import IvrFinished
from contactcenter.sim import ScriptedAgent
from tests.console.conftest import ADA, live_platform

HOPS = [  # (event type, what it must say), in the order docs/one-call.md gives
    (CallArrived, {}),
    (CallVariableSet, {"name": "CC_QUEUE", "value": "support"}),
    (CallWaiting, {"context": "cc-wait"}),
    (CallQueued, {"queue": "support"}),
    (AgentStateChanged, {"state": AgentState.OFFERED}),
    (CallOffered, {"agent_id": "agent101"}),
    (AgentLegRinging, {}),
    (CallConnected, {"agent_id": "agent101"}),
    (CallEnded, {"outcome": "answered"}),
    (AgentStateChanged, {"state": AgentState.WRAP_UP}),
]
AFTER = [  # events of other channels or sources: only after the one named
    (IvrFinished, {"outcome": "queued"}, CallArrived),
    (ScreenPop, {"agent_id": "agent101"}, CallOffered),
    (OriginateResult, {"success": True}, CallOffered),
    (CallBridged, {}, CallOffered),
    (CallHungUp, {}, CallConnected),
]


def first(events: list[object], kind: type, fields: dict[str, object], after: int = 0) -> int:
    return next(i for i, e in enumerate(events) if i >= after and isinstance(e, kind)
                and all(getattr(e, k) == v for k, v in fields.items()))


async def test_one_answered_call_goes_through_the_documented_hops(db_url: str,
                                                                  tmp_path: Path) -> None:
    phone = ScriptedAgent(answer_after=0.1, talk_seconds=0.3)  # the agent hangs up first
    async with live_platform(db_url, tmp_path, phone=phone) as live:
        platform = live.platform
        with platform.bus.subscribe() as queue:
            await platform.distributor.login("agent101")
            call = live.sim.place_call(ADA)
            events: list[object] = []
            while not any(isinstance(e, AgentStateChanged) and e.state == AgentState.WRAP_UP
                          for e in events):
                events.append(await asyncio.wait_for(queue.get(), 20))
            await asyncio.wait_for(call.wait(), 5)
        await asyncio.sleep(0.3)  # the recorder writes what it read
        row = await asyncio.to_thread(Interactions(platform.db).find, call.uniqueid)
    mine = [e for e in events if getattr(e, "uniqueid", getattr(e, "call_id", None))
            in (None, call.uniqueid) or isinstance(e, AgentLegRinging | OriginateResult)]
    at, places = 0, {}
    for kind, fields in HOPS:
        at = first(mine, kind, fields, at)
        places.setdefault(kind, at)
    for kind, fields, after in AFTER:
        assert first(mine, kind, fields, places[after]) > places[after], kind.__name__
    assert row is not None and (row.state, row.outcome, row.agent_id) == (
        "ended", "answered", "agent101")
