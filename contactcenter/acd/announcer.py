"""Announcements to waiting callers: their position and estimated wait, on entry and every
N seconds (queues.yaml `announce`), with an offer to be called back without losing their
place.

The distributor Redirects a waiting caller into the cc-announce context, which runs
AGI(agi://<platform>/announce) and then sends the caller back to cc-wait. The caller never
leaves the queue meanwhile: their place and entry time are kept, and an agent who frees up
during the announcement takes them straight out of it (Bridge() interrupts the AGI).
Who is due is decided here, purely; the speaking is a FastAGI handler (duck-typed, so the
ACD does not import the IVR).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from contactcenter.acd.routing import WaitingCall
from contactcenter.cti.dialing import dialable
from contactcenter.queue_config import QueueDefinition
from contactcenter.speech.tts import PromptRenderer, SpeechError

log = logging.getLogger(__name__)

ANNOUNCE_CONTEXT = "cc-announce"  # extensions.conf: AGI(.../announce), then cc-wait
ANNOUNCE_FLOW = "announce"  # the FastAGI script name the context runs
CALLBACK_KEY = "1"
CALLBACK_OFFER = "To be called back without losing your place, press 1."
CALLBACK_CONFIRMED = "Thank you. We will call you back when it is your turn. Goodbye."


def announcement_text(position: int, wait_s: float) -> str:
    """'You are number 3 in the queue. Your estimated wait is about 2 minutes.'"""
    place = "next in line" if position == 1 else f"number {position} in the queue"
    minutes = round(wait_s / 60)
    wait = ("less than a minute" if minutes < 1
            else f"about {minutes} minute{'s' if minutes > 1 else ''}")
    return f"You are {place}. Your estimated wait is {wait}."


def announcements_due(calls: Iterable[WaitingCall], definitions: Mapping[str, QueueDefinition],
                      announced: Mapping[str, float], now: float) -> list[WaitingCall]:
    """The waiting calls to announce now: on entry (if the queue says so) and then every
    `every_seconds` after the last announcement (or after entry when there was none).
    A queued callback has nobody on the line and is never announced."""
    due = []
    for call in calls:
        definition = definitions.get(call.queue)
        if definition is None or call.callback:
            continue
        rule = definition.announcements
        last = announced.get(call.call_id)
        if last is None and rule.on_entry:
            due.append(call)
        elif rule.every_seconds and now - (last or call.entered_at) >= rule.every_seconds:
            due.append(call)
    return due


class AgiChannel(Protocol):
    """What the announcer needs of a FastAGI session (ivr.fastagi.AgiSession)."""

    env: dict[str, str]

    async def command(self, line: str) -> Any: ...


class WaitingDesk(Protocol):
    """What the announcer needs of the ACD (acd.distributor.Distributor)."""

    async def wait_estimate(self, call_id: str) -> tuple[int, float] | None: ...

    async def request_callback(self, call_id: str, number: str) -> bool: ...


class Announcer:
    """Serves the `announce` FastAGI script (app.py's route table sends it `handle`): says
    the caller's place and wait, and takes the callback key."""

    def __init__(self, desk: WaitingDesk, renderer: PromptRenderer, *,
                 offer_callback: bool = True, key_timeout_ms: int = 3000) -> None:
        self.desk = desk
        self.renderer = renderer
        self.offer_callback = offer_callback
        self.key_timeout_ms = key_timeout_ms

    async def handle(self, session: AgiChannel) -> None:
        """One announcement; returning lets the dialplan put the caller back on hold."""
        call_id, number = session.env.get("agi_uniqueid", ""), session.env.get("agi_callerid", "")
        estimate = await self.desk.wait_estimate(call_id)
        if estimate is None:
            return  # no longer waiting (an agent took the call, or it is unknown)
        text = announcement_text(*estimate)
        try:
            if not (self.offer_callback and dialable(number)):
                await session.command(f'STREAM FILE {await self._prompt(text)} ""')
                return
            prompt = await self._prompt(f"{text} {CALLBACK_OFFER}")
            reply = await session.command(f"GET DATA {prompt} {self.key_timeout_ms} 1")
            if reply.ok and reply.result == CALLBACK_KEY \
                    and await self.desk.request_callback(call_id, number):
                await session.command(f'STREAM FILE {await self._prompt(CALLBACK_CONFIRMED)} ""')
                await session.command("HANGUP")
        except SpeechError as exc:
            log.error("announcement for %s not rendered (%s); the caller goes back to music "
                      "on hold unannounced", call_id, exc)  # the AGI session's call context

    async def _prompt(self, text: str) -> str:
        known = self.renderer.cached(text)
        return str(known or await asyncio.to_thread(self.renderer.render, text))
