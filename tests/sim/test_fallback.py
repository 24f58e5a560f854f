"""The dialplan's fallback (asterisk-config/extensions.conf [cc-fallback]) in the simulator,
with res_agi.c's real outcomes: FastAGI unreachable is AGISTATUS=FAILURE and the dialplan
goes on; a session the platform closes mid-call is SUCCESS with nothing set. A caller the
platform never decided about waits in the fallback queue; one the IVR ended is hung up."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from contactcenter.sim import CallOutcome, PbxSimulator, ScriptedCaller
from contactcenter.sim.channels import Pbx
from contactcenter.sim.dialplan import Dialplan, Location
from tests.helpers import eventually
from tests.sim.conftest import ScriptedAgiServer
from tests.test_asterisk_config import conf_lines

EXTENSIONS = Path(__file__).parents[2] / "asterisk-config" / "extensions.conf"


def shipped(context: str) -> list[str]:
    """The applications of one context of the shipped extensions.conf, as App(data)."""
    lines, inside = [], False
    for raw in EXTENSIONS.read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            inside = line == f"[{context}]"
        elif inside and line.startswith(("exten", "same")):
            # exten => pattern,priority,App(data) / same => n,App(data)
            lines.append(line.split(",", 2 if line.startswith("exten") else 1)[-1])
    return lines


def simulated(plan: Dialplan, context: str, exten: str) -> list[str]:
    """The same context as the simulator's table has it, written as extensions.conf does."""
    found, priority = [], 1
    while (step := plan.step(Location(context, exten, priority))) is not None:
        data = step.data
        if step.application == "GotoIf":
            data = f'$["${{{step.condition}}}" {"=" if step.if_empty else "!="} ""]?{data}'
        found.append(f"{step.application}({data})")
        priority += 1
    return found


@pytest.mark.parametrize("context,exten", [("from-pstn", "5000"), ("cc-fallback", "s"),
                                           ("cc-wait", "s")])
def test_the_simulator_runs_the_shipped_inbound_and_fallback_contexts(context: str,
                                                                      exten: str) -> None:
    assert simulated(Dialplan(), context, exten) == shipped(context)


def test_the_fallback_queue_is_a_global_of_the_shipped_dialplan() -> None:
    shipped_globals = {key: value for section, key, value in conf_lines(EXTENSIONS)
                       if section == "globals"}
    assert shipped_globals["FALLBACK_QUEUE"] == Dialplan().globals["FALLBACK_QUEUE"] == "operator"


def walk(variables: dict[str, str]) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """A caller whose AGI has just returned with `variables` set: the Newexten steps the
    dialplan runs next (context, application, data), and the variables then."""
    events: list[dict[str, str]] = []
    pbx = Pbx(lambda fields: events.append(dict(fields)), dialplan=Dialplan())
    ch = pbx.new_inbound("+14155550123", "Ada Lovelace", "5000")
    ch.variables.update(variables)
    del events[:]
    pbx.goto(ch, Location("from-pstn", "5000", 4))
    return [(e["Context"], e["Application"], e["AppData"]) for e in events
            if e["Event"] == "Newexten"], dict(ch.variables, uniqueid=ch.uniqueid)


def test_a_caller_the_platform_never_decided_about_is_queued_by_the_dialplan() -> None:
    before = int(time.time())
    steps, variables = walk({"AGISTATUS": "FAILURE"})
    uniqueid = variables["uniqueid"]
    assert steps[:2] == [("from-pstn", "GotoIf", "0?cc-wait,s,1"),
                         ("from-pstn", "GotoIf", "1?cc-fallback,s,1")]
    assert steps[-2:] == [("cc-wait", "NoOp", "waiting in operator"),
                          ("cc-wait", "MusicOnHold", "default")]
    assert ("cc-fallback", "Set", "CC_QUEUE=operator") in steps
    assert {k: v for k, v in variables.items() if k != "CC_ENTERED"} == {
        "AGISTATUS": "FAILURE", "CC_CALL_ID": uniqueid, "CC_QUEUE": "operator",
        "CC_ENTRY": f"fallback-{uniqueid}", "CC_IVR_PATH": "fallback",
        "SIPURI": "sip:+14155550123@127.0.0.1:5070", "SIPDOMAIN": "127.0.0.1",
        "SIPCALLID": variables["SIPCALLID"], "uniqueid": uniqueid}
    assert before <= int(variables["CC_ENTERED"]) <= time.time()


def test_a_caller_the_ivr_ended_on_purpose_is_hung_up_and_a_queued_one_waits() -> None:
    ended, _ = walk({"AGISTATUS": "SUCCESS", "CC_IVR_END": "hangup"})
    assert [s[1] for s in ended] == ["GotoIf", "GotoIf", "Hangup"]
    queued, variables = walk({"AGISTATUS": "SUCCESS", "CC_QUEUE": "support"})
    assert [s[:2] for s in queued] == [("from-pstn", "GotoIf"), ("cc-wait", "NoOp"),
                                       ("cc-wait", "MusicOnHold")]
    assert "CC_ENTRY" not in variables  # the IVR's own entry stands


async def test_fastagi_unreachable_is_failure_and_the_caller_waits_in_the_fallback_queue(
        unused_port: int) -> None:
    async with PbxSimulator(agi_port=unused_port) as sim:
        call = sim.place_call(ScriptedCaller(patience=0.5))
        await eventually(lambda: [c.uniqueid for c in sim.waiting_in_moh()] == [call.uniqueid],
                         3.0)
        variables = sim.pbx.channels[call.channel].variables
        assert (variables["AGISTATUS"], variables["CC_QUEUE"], variables["CC_ENTRY"]) == (
            "FAILURE", "operator", f"fallback-{call.uniqueid}")
        assert await call.wait() is CallOutcome.ABANDONED  # out of patience, not dropped


@pytest.mark.parametrize("commands,outcome", [
    (["ANSWER"], "queued"),  # the platform closed the session mid-IVR: SUCCESS, nothing set
    (["ANSWER", "SET VARIABLE CC_IVR_END hangup"], "hung up"),  # the IVR's own end
])
async def test_a_session_closed_by_the_platform_goes_on_in_the_dialplan(
        commands: list[str], outcome: str) -> None:
    agi = ScriptedAgiServer(commands)
    async with PbxSimulator(agi_port=await agi.start()) as sim:
        call = sim.place_call(ScriptedCaller(patience=0.5))
        if outcome == "queued":
            await eventually(lambda: bool(sim.waiting_in_moh()), 3.0)
            assert sim.pbx.channels[call.channel].variables["AGISTATUS"] == "SUCCESS"
            assert await call.wait() is CallOutcome.ABANDONED
        else:
            assert await call.wait() is CallOutcome.ENDED_IN_IVR
            assert sim.stats.ended_in_ivr == 1
