"""Calls and agents as strings for a shared store: the one place that says how they are
written, so every process reads what another wrote. Floats go through JSON or repr, both
of which round-trip exactly (entry times must compare equal across processes)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from contactcenter.acd.agents import Agent, AgentProfile, AgentState
from contactcenter.acd.routing import WaitingCall


def encode_call(call: WaitingCall) -> str:
    return json.dumps({
        "call_id": call.call_id, "channel": call.channel, "queue": call.queue,
        "entered_at": call.entered_at, "priority": call.priority,
        "caller_num": call.caller_num, "caller_name": call.caller_name,
        "skills": dict(call.skills), "fields": dict(call.fields), "ivr_path": call.ivr_path,
        "callback": call.callback,
    })


def decode_call(text: str) -> WaitingCall:
    return WaitingCall(**json.loads(text))


def encode_profile(profile: AgentProfile) -> str:
    return json.dumps({"device": profile.device, "queues": dict(profile.queues),
                       "skills": dict(profile.skills)})


def encode_agent(agent: Agent) -> dict[str, str]:
    """Hash fields; the Redis offer script rewrites state, reason, since, call_id, owner
    and rev."""
    return {"id": agent.agent_id, "profile": encode_profile(agent.profile),
            "state": agent.state.value, "reason": agent.reason, "since": repr(agent.since),
            "idle_since": repr(agent.idle_since), "call_id": agent.call_id or "",
            "owner": agent.owner, "rev": str(agent.rev)}


def decode_agent(fields: Mapping[str, str]) -> Agent:
    profile = json.loads(fields["profile"])
    return Agent(AgentProfile(fields["id"], profile["device"], profile["queues"],
                              profile["skills"]),
                 AgentState(fields["state"]), fields["reason"], float(fields["since"]),
                 float(fields["idle_since"]), fields["call_id"] or None,
                 fields.get("owner", ""), int(fields.get("rev", 0)))
