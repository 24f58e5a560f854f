"""The IVR at run time: the flow registry (load, validate, hot reload) and the FastAGI
session loop that drives a pure FlowRun per call.

A reload swaps the registry's mapping; a call keeps the Flow object it started with, so
calls in progress finish on their version while new calls get the new one; a call that goes
to another flow takes that flow's version current at the goto. A file that fails validation
keeps its previous version and reports its errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from contactcenter.cti import variables as cc
from contactcenter.cti.bridge import AFTER_CALL_CONTEXT
from contactcenter.events import EventBus
from contactcenter.ivr.events import IvrFinished
from contactcenter.ivr.fastagi import AgiSession, quote
from contactcenter.ivr.flow import Flow, FlowErrors, load_flow
from contactcenter.ivr.interpreter import (
    Action,
    Ask,
    CallInfo,
    Exec,
    Finish,
    FlowRun,
    Jump,
    Lookup,
    Play,
    Publish,
    Result,
    SetVariable,
)
from contactcenter.ivr.voice import KEYPAD, VoiceTurns
from contactcenter.ivr.yamlsource import Errors, read_yaml
from contactcenter.queue_config import QUEUES_FILE, queue_names
from contactcenter.speech.tts import PromptRenderer, SpeechError

log = logging.getLogger(__name__)

COMPLAINTS_FILE = "complaints.yaml"  # complaint settings (contactcenter/complaints/config.py)
LOOKUP_SECONDS = 3.0  # a CRM slower than this takes the lookup's error path: callers wait
CustomerLookup = Callable[[str, str], Awaitable[dict[str, str] | None]]
"""(by, value) -> the customer's fields, or None: how the lookup step reaches the CRM."""


def flow_files(directory: Path) -> list[Path]:
    """The flow files of a directory: *.yaml except queues.yaml, complaints.yaml and
    *.test.yaml."""
    return sorted(p for p in directory.glob("*.yaml")
                  if p.name not in (QUEUES_FILE, COMPLAINTS_FILE)
                  and not p.name.endswith(".test.yaml"))


def known_queues(directory: Path, errors: list[str]) -> set[str] | None:
    """The queue names of the directory's queues.yaml, checked with the flows beside it
    (queue_config.queue_names); None when there is no such file."""
    return queue_names(directory / QUEUES_FILE, known_flows(directory), errors)


def known_flows(directory: Path) -> dict[str, set[str]]:
    """Flow name -> its step names, for the gotos to another flow: every flow file of the
    directory whose YAML reads, even one with other errors (those are its own to report,
    not once more at each goto to it)."""
    found: dict[str, set[str]] = {}
    for path in flow_files(directory):
        doc = read_yaml(path, Errors(str(path)))
        if (isinstance(doc, CommentedMap) and isinstance(doc.get("name"), str)
                and doc["name"] and isinstance(doc.get("steps"), CommentedMap)):
            found[doc["name"]] = {str(step) for step in doc["steps"]}
    return found


def read_flow(path: Path, queues: set[str] | None,
              siblings: dict[str, set[str]]) -> tuple[Flow | None, list[str]]:
    """One flow file loaded and validated: (the flow, []) or (None, its error lines).
    Never raises: even a file that trips the validator itself is reported as an error of
    that file, so `flows check` prints no traceback and a reload goes on to the next file."""
    try:
        flow = load_flow(path, queues, siblings)
        return replace(flow, version=hashlib.sha256(path.read_bytes()).hexdigest()[:8]), []
    except FlowErrors as exc:
        return None, [str(e) for e in exc.errors]
    except OSError as exc:
        return None, [f"{path}:1:1: {exc.strerror or exc}"]
    except Exception as exc:
        log.debug("checking %s failed", path, exc_info=True)
        return None, [f"{path}:1:1: cannot check this file ({type(exc).__name__}: {exc})"]


class FlowRegistry:
    """The current version of every flow in a directory.

    reload() reads files and runs the validator, so at run time it runs in a worker thread
    (watch()), never on the event loop: a large file must not stall calls in progress."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.flows: dict[str, Flow] = {}
        self._stamps: dict[Path, float | None] = {}
        self._asked = asyncio.Event()  # SIGHUP: reload now

    def reload(self) -> list[str]:
        """Load every flow file; return the error lines (empty when all loaded)."""
        errors: list[str] = []
        queues = known_queues(self.directory, errors)
        siblings = known_flows(self.directory)
        flows, files = dict(self.flows), flow_files(self.directory)
        self._stamps = {path: _stamp(path) for path in files}  # a rejected file waits
        for path in files:  # for its next edit
            flow, problems = read_flow(path, queues, siblings)
            errors += problems
            if flow is not None:
                flows[flow.name] = flow
        self.flows = flows
        for line in errors:
            log.error("flow rejected, previous version stays: %s", line)
        return errors

    def changed(self) -> bool:
        """Whether any flow file was added, modified or removed since the last reload."""
        files = flow_files(self.directory)
        return set(files) != set(self._stamps) or any(
            self._stamps[p] != _stamp(p) for p in files)

    def reload_on_sighup(self) -> None:
        """`contactcenter flows reload --pid N` sends SIGHUP: watch() reloads at once."""
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._asked.set)

    async def watch(self, interval: float = 1.0, *, poll: bool = True) -> None:
        """Reload when SIGHUP asks (reload_on_sighup) or, with `poll`, when a file changed
        (checked every `interval` s); in a worker thread. Runs until cancelled, whatever
        a file holds or a reload meets."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._asked.wait(), interval if poll else None)
            asked = self._asked.is_set()
            self._asked.clear()
            try:
                if asked or await asyncio.to_thread(self.changed):
                    await asyncio.to_thread(self.reload)
            except Exception:
                log.exception("flow reload of %s failed; the running flows stay, watching on",
                              self.directory)


def _stamp(path: Path) -> float | None:
    """The file's modification time; None once it is gone (or unreadable)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return None


class IvrService:
    """Runs the flow named by the AGI script for each call and reports how it ended.

    A script that names no flow gets the default flow (the inbound menu), except after a
    call ([cc-after-call]): a caller whose agent left must not land in the menu, and be
    queued again, because the queue's after-call flow is missing or was rejected. A script
    that names a flow the registry does not have is refused, never served the default: a
    typo in the dialplan must not send callers through the wrong menu unnoticed."""

    def __init__(self, registry: FlowRegistry, renderer: PromptRenderer, bus: EventBus,
                 *, default_flow: str = "main", lookup: CustomerLookup | None = None,
                 voice: VoiceTurns | None = None, min_confidence: float = 0.5) -> None:
        self.registry = registry
        self.renderer = renderer
        self.bus = bus
        self.default_flow = default_flow
        self.lookup = lookup  # None: every lookup step takes its error path
        self.voice = voice  # None: callers answer with keys only
        self.min_confidence = min_confidence

    async def handle(self, session: AgiSession) -> None:
        env = session.env
        name = session.flow
        if not name and env.get("agi_context") != AFTER_CALL_CONTEXT:
            name = self.default_flow
        flow = self.registry.flows.get(name)
        call = CallInfo(uniqueid=env.get("agi_uniqueid", ""), channel=env.get("agi_channel", ""),
                        caller_num=env.get("agi_callerid", ""),
                        caller_name=env.get("agi_calleridname", ""),
                        dnis=(session.args or [env.get("agi_extension", "")])[0])
        if flow is None:
            log.error("AGI script %r names no loaded flow (loaded: %s): call %s on %s "
                      "refused, the dialplan continues", session.flow,
                      ", ".join(sorted(self.registry.flows)) or "none", call.uniqueid,
                      call.channel)
            return
        run = FlowRun(flow, call, min_confidence=self.min_confidence)
        outcome = "caller_hung_up"
        try:
            action = run.start()
            while not isinstance(action, Finish):
                action = run.resume(await self._perform(session, action))
            outcome = action.outcome
            if action.reason:
                log.error("%s: flow %s ended the call at %s: %s", call.channel, flow.name,
                          action.step, action.reason)
            elif outcome != "queued":  # else the dialplan's fallback queues the caller
                await session.command(f"SET VARIABLE {cc.IVR_END} {outcome}")
        finally:
            self.bus.publish(IvrFinished(call.uniqueid, flow.name, flow.version, outcome,
                                         run.last_step, tuple(run.path), dict(run.collected),
                                         time.time()))

    async def _perform(self, session: AgiSession, action: Action) -> Result:
        """One action on the channel; a prompt that cannot be rendered counts as a failed
        prompt (the flow's error path), never as a dropped call."""
        try:
            return await self._command(session, action)
        except SpeechError as exc:
            log.error("%s; counted as a failed prompt (the step's error path)", exc)
            return None if isinstance(action, Ask) else False

    async def _command(self, session: AgiSession, action: Action) -> Result:
        if isinstance(action, Lookup):
            return await self._find(action)
        if isinstance(action, Jump):  # the version serving new calls, not the call's first
            return self.registry.flows.get(action.flow)
        if isinstance(action, Publish):
            self.bus.publish(action.event)
            return True
        if isinstance(action, Ask):
            prompt = await self._prompt(action.text, action.kind, action.language)
            if self.voice is not None and action.kind == "say" and (action.phrases or action.free):
                heard = await self.voice.hear(session, action, Path(prompt))
                if heard is not KEYPAD:
                    return heard  # type: ignore[return-value]
            if action.free:
                return False  # an open question has no keys: its key menu takes over
            reply = await session.command(
                f"GET DATA {prompt} {action.timeout_ms} {action.max_digits}")
            return reply.result if reply.ok and reply.result not in ("", "-1") else None
        if isinstance(action, Play):
            prompt = await self._prompt(action.text, action.kind, action.language)
            reply = await session.command(f'STREAM FILE {prompt} ""')
            return reply.ok and reply.result != "-1"
        if isinstance(action, SetVariable):
            reply = await session.command(f"SET VARIABLE {action.name} {quote(action.value)}")
            return reply.ok
        assert isinstance(action, Exec)
        reply = await session.command(f"EXEC {action.app} {quote(action.data)}")
        return reply.ok and not reply.result.startswith("-")  # -2: no such application

    async def _find(self, action: Lookup) -> dict[str, str] | None | bool:
        """The customer's fields, None when unknown, False when the CRM cannot answer (the
        caller then follows the step's error path instead of losing the call)."""
        if self.lookup is None:
            return False
        try:
            return await asyncio.wait_for(self.lookup(action.by, action.value), LOOKUP_SECONDS)
        except Exception:  # any CRM failure: the flow decides what the caller gets
            log.exception("customer lookup by %s failed; the flow takes the step's error "
                          "path", action.by)
            return False

    async def _prompt(self, text: str, kind: str, language: str) -> str:
        """The sound to play: a sound file as named, or the text rendered in the caller's
        language (espeak-ng's voice of that code; the configured voice until they choose)."""
        if kind == "play":
            quote(text)
            return text
        voice = language or None
        known = self.renderer.cached(text, voice)
        return str(known or await asyncio.to_thread(self.renderer.render, text, voice))
