"""The supervisor's live lists (pure): every agent with their state, and the calls waiting
in service order (priority, then entry time), next to the per-queue figures of acd/metrics.py.

Only the first `limit` calls are listed (a queue of thousands is read from the figures,
not scrolled); each call keeps its real place in its queue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from contactcenter.acd.agents import Agent
from contactcenter.acd.routing import WaitingCall, call_order

CALLS_LISTED = 100


def agent_rows(agents: Iterable[Agent], callers: Mapping[str, str],
               now: float) -> list[dict[str, object]]:
    """One row per agent, by id; `callers` maps a call id to the number on the line.
    `for_s` is None for an agent whose state never changed (logged out since the start)."""
    return [{"agent_id": a.agent_id, "state": a.state.value, "reason": a.reason,
             "for_s": round(max(0.0, now - a.since), 1) if a.since else None,
             "queues": sorted(a.profile.queues),
             "caller": callers.get(a.call_id or "", ""), "call_id": a.call_id or ""}
            for a in sorted(agents, key=lambda a: a.agent_id)]


def call_rows(waiting: Iterable[WaitingCall], ringing: Mapping[str, tuple[WaitingCall, str]],
              now: float, limit: int = CALLS_LISTED) -> list[dict[str, object]]:
    """Calls still in a queue, ringing ones first, then waiting ones in service order;
    `position` is the place in its own queue (ringing calls are at the head)."""
    offered = sorted(ringing.values(), key=lambda pair: call_order(pair[0]))
    ordered = [*offered, *((c, "") for c in sorted(waiting, key=call_order))]
    places: Counter[str] = Counter()
    rows = []
    for call, agent_id in ordered[:limit]:
        places[call.queue] += 1
        rows.append({"call_id": call.call_id, "queue": call.queue,
                     "caller": call.caller_num or call.callback, "callback": bool(call.callback),
                     "waited_s": round(max(0.0, now - call.entered_at), 1),
                     "position": places[call.queue], "priority": call.priority,
                     "agent_id": agent_id})
    return rows
