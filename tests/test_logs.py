"""Log lines that help at 3 a.m.: a line about a call carries its call id, queue and
agent as JSON keys (and in text), given explicitly or from the call context that bus
consumers and FastAGI sessions set; the lines are real ones of the platform."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.events import CallEnded, CallOffered
from contactcenter.events import BusConsumer, EventBus
from contactcenter.ivr.fastagi import FastAgiServer
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.logs import call_context, call_fields, configure_logging
from contactcenter.queue_config import Announcements, QueueDefinition
from contactcenter.sim import ScriptedAgent, ScriptedCaller
from contactcenter.speech.tts import PromptRenderer
from tests.acd.conftest import KEYS, acd_rig

FLOWS = Path(__file__).parents[1] / "flows"


@contextlib.contextmanager
def logging_as(fmt: str) -> Iterator[io.StringIO]:
    """Logging as `contactcenter run` sets it up in `fmt`, into a buffer, then as before."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", fmt)
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = handlers, level


@pytest.fixture
def json_lines() -> Iterator[Callable[[], list[dict[str, object]]]]:
    """The JSON lines logged so far."""
    with logging_as("json") as buffer:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_call_fields_come_from_extra_or_the_call_context(json_lines) -> None:
    log = logging.getLogger("contactcenter.test")
    log.info("no call")
    with call_context("c-1", "support", "agent101"):
        log.info("in context")
        log.info("explicit", extra=call_fields("c-2", "sales"))  # wins, agent not inherited
    plain, inside, explicit = json_lines()
    assert (plain["call_id"], plain["queue"], plain["agent"]) == (None, None, None)
    assert (inside["call_id"], inside["queue"], inside["agent"]) == ("c-1", "support",
                                                                     "agent101")
    assert (explicit["call_id"], explicit["queue"], explicit["agent"]) == ("c-2", "sales",
                                                                           None)


def test_text_lines_name_the_call_too() -> None:
    with logging_as("text") as buffer, call_context("c-1", "support"):
        logging.getLogger("contactcenter.test").warning("slow")
    assert buffer.getvalue().rstrip().endswith("slow [call_id=c-1 queue=support]")


async def test_a_consumer_failing_on_an_event_logs_the_event_s_call(json_lines) -> None:
    async def broken(event: object) -> None:
        raise RuntimeError("disk full")

    bus = EventBus()
    async with BusConsumer(bus, broken, "recorder"):
        bus.publish(CallOffered("c-9", "agent102", "billing", 1.0, "+14155550100"))
    [line] = [line for line in json_lines() if "handling" in line["message"]]
    assert (line["call_id"], line["queue"], line["agent"]) == ("c-9", "billing", "agent102")
    assert "that event is skipped" in line["message"]


async def test_an_ivr_session_s_lines_carry_its_call(json_lines, tmp_path) -> None:
    registry = FlowRegistry(FLOWS)
    registry.reload()
    service = IvrService(registry, PromptRenderer(tmp_path / "prompts"), EventBus())
    async with FastAgiServer(service.handle, port=0) as agi:
        reader, writer = await asyncio.open_connection("127.0.0.1", agi.port)
        writer.write(b"agi_network_script: mian\nagi_uniqueid: 1767600000.3\n\n")
        await reader.read()
        writer.close()
    [refused] = [line for line in json_lines() if "names no loaded flow" in line["message"]]
    assert refused["call_id"] == "1767600000.3"


async def test_a_call_s_end_is_logged_with_its_id_queue_and_agent(json_lines,
                                                                  tmp_path) -> None:
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.1)}
    queues = {"support": QueueDefinition("support", announcements=Announcements(False))}
    async with acd_rig(tmp_path, agents=agents, queues=queues) as rig:
        await rig.acd.register_agent(AgentProfile("agent101", "SIP/agent101", {"support": 0}))
        await rig.acd.login("agent101")
        call = rig.sim.place_call(ScriptedCaller(answers=(KEYS["support"],)))
        await rig.next(CallEnded)
    [ended] = [line for line in json_lines() if line["message"].startswith(
        f"call {call.uniqueid} ended")]
    assert (ended["call_id"], ended["queue"], ended["agent"]) == (call.uniqueid, "support",
                                                                  "agent101")
