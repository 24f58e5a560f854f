"""What a caller sends as name and number cannot stop their call being offered: the
CallerID on the agent's leg is cleaned (cti/callerid.py), pure and over the simulator."""

from __future__ import annotations

import asyncio

import pytest

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.events import AgentStateChanged, CallConnected, CallEnded
from contactcenter.cti.callerid import caller_id, clean_name, clean_number
from contactcenter.cti.frames import encode_action
from contactcenter.queue_config import Announcements, QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller
from contactcenter.sim.stats import CallOutcome
from tests.acd.conftest import KEYS, acd_rig


@pytest.mark.parametrize(("name", "cleaned"), [
    ("Ada Lovelace", "Ada Lovelace"),
    ("Mallory\nEvil", "Mallory Evil"),
    ("Mallory\r\nAction: Hangup", "Mallory Action: Hangup"),
    ('Bob" <+15550000>', "Bob +15550000"),
    ("tab\there\x00nul\x1b[2J\x85", "tab here nul [2J"),
    ("back\\slash", "backslash"),
    ("Jürgen Groß", "Jürgen Groß"),
    ("x" * 500, "x" * 80),
])
def test_a_caller_name_loses_control_characters_quotes_and_brackets(name: str,
                                                                   cleaned: str) -> None:
    assert clean_name(name) == cleaned


@pytest.mark.parametrize(("number", "cleaned"), [
    ("+14155550123", "+14155550123"), ("anonymous", "anonymous"),
    ("+1415\n5550123", "+14155550123"), ("<+1> \"2\"", "+12"), ("1" * 99, "1" * 40),
])
def test_a_caller_number_keeps_only_what_a_number_or_sip_user_holds(number: str,
                                                                    cleaned: str) -> None:
    assert clean_number(number) == cleaned


def test_the_caller_id_is_always_safe_on_the_ami_socket() -> None:
    header = caller_id('Mallory\r\n"Evil" <x>', "+1\n555")
    assert header == '"Mallory Evil x" <+1555>'
    encode_action([("Action", "Originate"), ("CallerID", header)])  # no UnsafeValueError


async def test_a_caller_name_with_a_line_feed_is_offered_and_answered_nobody_paused(
        tmp_path) -> None:
    """The name arrives raw in the AMI Newchannel and in the agi_* block, as res_agi.c
    and manager.c write it; the caller still gets the menu, the queue and an agent."""
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    queues = {"support": QueueDefinition("support", ring_timeout_seconds=5,
                                         announcements=Announcements(on_entry=False))}
    async with acd_rig(tmp_path, agents=agents, queues=queues) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        await rig.acd.login("agent101")
        call = rig.sim.place_call(ScriptedCaller(
            number="+14155550199", name='Mallory\n"Evil" <+15550000>',
            answers=(KEYS["support"],)))
        connected = await rig.next(CallConnected)
        [leg] = [c for c in rig.bridge.model.channels.values()
                 if c.channel.startswith("SIP/agent101")]  # what the agent's phone shows
        assert (leg.caller_name, leg.caller_num) == ("Mallory Evil +15550000",
                                                     "+14155550199")
        assert await asyncio.wait_for(call.wait(), 10) is CallOutcome.ANSWERED
        await rig.next(CallEnded)
    assert (connected.call_id, connected.agent_id) == (call.uniqueid, "agent101")
    assert [e for e in rig.of(AgentStateChanged) if e.state == "paused"] == []
