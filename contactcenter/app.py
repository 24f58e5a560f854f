"""Wiring: configuration -> components, opened in order and closed in reverse in one place.

`open_platform()` is the whole platform as one async context manager; `contactcenter run`
and `contactcenter demo` both use it, so the demo runs exactly what production runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.announcer import ANNOUNCE_FLOW, Announcer
from contactcenter.acd.call_actions import CallActions
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.monitoring import Monitoring
from contactcenter.agent_console.app import create_app
from contactcenter.complaints.config import load_settings
from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.complaints.escalator import Escalator
from contactcenter.config import Config, SpeechConfig
from contactcenter.crm.database import Database
from contactcenter.crm.seed import demo_logins
from contactcenter.crm.spool import WriteSpool
from contactcenter.crm.users import Users
from contactcenter.crm_link.interactions import InteractionRecorder
from contactcenter.crm_link.screenpop import ScreenPopper
from contactcenter.crm_link.supervision import SupervisionRecorder
from contactcenter.cti.bridge import AmiBridge
from contactcenter.errors import ConfigError
from contactcenter.events import EventBus
from contactcenter.ivr.crm_lookup import crm_lookup
from contactcenter.ivr.fastagi import AgiRoutes, FastAgiServer
from contactcenter.ivr.flow import FlowErrors
from contactcenter.ivr.runtime import COMPLAINTS_FILE, FlowRegistry, IvrService
from contactcenter.ivr.voice import VoiceTurns
from contactcenter.prometheus import PlatformMetrics
from contactcenter.queue.backend import open_store
from contactcenter.queue_config import QUEUES_FILE, load_queue_definitions
from contactcenter.reports.history import HistoryRecorder
from contactcenter.speech.audiosocket import AudioSocketServer
from contactcenter.speech.listen import ListenSettings
from contactcenter.speech.pool import RecognitionPool
from contactcenter.speech.recognizer import RecognizerError, open_recognizer
from contactcenter.speech.tts import PromptRenderer

log = logging.getLogger(__name__)


@dataclass
class Platform:
    """The running components, for the demo, the console and tests to reach."""

    config: Config
    bus: EventBus
    db: Database
    bridge: AmiBridge
    flows: FlowRegistry
    agi: FastAgiServer
    distributor: Distributor
    spool: WriteSpool  # the database writes kept through an outage
    metrics: PlatformMetrics  # what /metrics shows
    history: HistoryRecorder  # the queue log's writer
    complaints: ComplaintDesk | None = None  # None: no complaints.yaml beside the flows
    escalator: Escalator | None = None


@contextlib.asynccontextmanager
async def open_platform(config: Config, *, bus: EventBus | None = None,
                        console: bool = True) -> AsyncIterator[Platform]:
    """Database and its write spool, then the bus consumers (so no event is missed), then
    the AMI link, then the agent console (unless `console` is False). The recorders and the
    console's wrap-ups share the spool, so a call's wrap-up is written after its row.
    The queue log's rows and the ACD's lease carry this process's name (host:pid:token)."""
    bus = bus or EventBus()
    process = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    async with contextlib.AsyncExitStack() as stack:
        db = await asyncio.to_thread(Database.open, config.database.url)
        stack.callback(db.close)
        spool = await stack.enter_async_context(WriteSpool(publish=bus.publish))
        metrics = await stack.enter_async_context(PlatformMetrics(bus))
        await stack.enter_async_context(InteractionRecorder(bus, db, spool))
        history = await stack.enter_async_context(
            HistoryRecorder(bus, db, spool, process=process))
        await stack.enter_async_context(ScreenPopper(bus, db))
        await stack.enter_async_context(SupervisionRecorder(bus, db, spool))
        flows = FlowRegistry(config.flows.directory)
        for line in await asyncio.to_thread(flows.reload):
            log.error("%s", line)
        if not flows.flows:
            raise ConfigError(f"no valid flow in {config.flows.directory!r}")
        renderer = PromptRenderer(config.speech.cache_dir, voice=config.speech.voice)
        voice = await open_voice(stack, config.speech)
        ivr = IvrService(flows, renderer, bus, lookup=crm_lookup(db), voice=voice,
                         min_confidence=config.speech.min_confidence)
        watcher = asyncio.create_task(flows.watch(poll=config.flows.watch),  # and SIGHUP
                                      name="flow-watcher")
        stack.push_async_callback(_cancel, watcher)
        queues = await asyncio.to_thread(
            load_queue_definitions, Path(config.flows.directory) / QUEUES_FILE)
        bridge = AmiBridge(config.ami, bus)
        store = await stack.enter_async_context(open_store(config.store, queues))
        distributor = await stack.enter_async_context(
            Distributor(store, bridge, bus, queues=queues, owner=process,
                        lease_seconds=config.store.lease_seconds))
        routes = AgiRoutes(ivr.handle, {ANNOUNCE_FLOW: Announcer(distributor, renderer).handle})
        agi = await stack.enter_async_context(FastAgiServer(
            routes, host=config.agi.host, port=config.agi.port,
            command_timeout=config.agi.command_timeout,
            session_timeout=config.agi.session_timeout, max_sessions=config.agi.max_sessions))
        for profile in await asyncio.to_thread(agent_profiles, db):
            await distributor.register_agent(profile)
        history.note_agents(await store.agents())  # a restart may have logged them out
        metrics.watch(fastagi_sessions=lambda: agi.active_sessions,
                      writes_kept=lambda: spool.pending)
        complaints = await asyncio.to_thread(complaint_desk, db, Path(config.flows.directory))
        escalator = None
        if complaints is not None:
            escalator = await stack.enter_async_context(Escalator(complaints))
        await stack.enter_async_context(bridge)  # linked last: every consumer sees its resync
        if console:
            calls = await stack.enter_async_context(CallActions(distributor, bridge, bus))
            monitor = await stack.enter_async_context(Monitoring(distributor, bridge, bus))
            runner = web.AppRunner(create_app(desk=distributor, db=db, bus=bus, calls=calls,
                                              complaints=complaints, escalator=escalator,
                                              spool=spool, origins=config.web.allowed_origins,
                                              https=config.web.https, metrics=metrics,
                                              metrics_token=config.web.metrics_token,
                                              queues=queues, monitor=monitor))
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            await web.TCPSite(runner, config.web.host, config.web.port).start()
            log.info("console on http://%s:%s/", config.web.host, config.web.port)
        log.info("platform up: AMI %s:%s, FastAGI %s:%s", config.ami.host, config.ami.port,
                 config.agi.host, agi.port)
        yield Platform(config=config, bus=bus, db=db, bridge=bridge, flows=flows, agi=agi,
                       distributor=distributor, spool=spool, metrics=metrics,
                       history=history, complaints=complaints, escalator=escalator)


def complaint_desk(db: Database, flows: Path) -> ComplaintDesk | None:
    """The complaint desk with the flows directory's complaints.yaml; None (complaint
    management off, logged) when there is none. A broken file stops the start with its
    file:line:column errors."""
    path = flows / COMPLAINTS_FILE
    if not path.exists():
        log.warning("no %s: complaint management is off", path)
        return None
    try:
        return ComplaintDesk(db, load_settings(path))
    except FlowErrors as exc:
        raise ConfigError(f"{path} is invalid:\n{exc}") from exc


async def open_voice(stack: contextlib.AsyncExitStack,
                     config: SpeechConfig) -> VoiceTurns | None:
    """The recogniser, its pool and the AudioSocket server, closed with `stack`; None when
    speech is off or its engine cannot load (logged: callers then use keys)."""
    try:
        recognizer = await asyncio.to_thread(open_recognizer, config.engine,
                                             vosk_model=config.vosk_model, n_best=config.n_best)
    except RecognizerError as exc:
        log.error("speech recognition off: %s", exc)
        return None
    if recognizer is None:
        return None
    pool = await stack.enter_async_context(RecognitionPool(
        recognizer, max_streams=config.max_streams, workers=config.workers))
    server = await stack.enter_async_context(AudioSocketServer(
        config.audiosocket_host, config.audiosocket_port))
    host = config.audiosocket_advertise or config.audiosocket_host
    address = f"[{host}]:{server.port}" if ":" in host else f"{host}:{server.port}"
    log.info("speech: %s, AudioSocket on %s", recognizer.name, address)
    return VoiceTurns(pool, server, address, settings=ListenSettings(
        end_silence_ms=config.end_silence_ms, max_speech_s=config.max_speech_seconds,
        result_s=config.result_seconds, barge_in=config.barge_in))


def agent_profiles(db: Database) -> list[AgentProfile]:
    """The ACD's view of the CRM's active agents: phone, queues with penalty, skills."""
    return [AgentProfile(user.username, user.device,
                         {m.queue: m.penalty for m in user.queues},
                         {s.name: s.level for s in user.skills})
            for user in Users(db).list(role="agent") if user.active and user.device]


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run the platform against a PBX (real Asterisk or simulator)")
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace, config: Config) -> int:
    refuse_demo_passwords(config.database.url)
    asyncio.run(_run(config))
    return 0


def refuse_demo_passwords(url: str) -> None:
    """ConfigError while a demo user can still sign in with the password the README
    publishes (the demo's data in a production database)."""
    db = Database.open(url)
    try:
        found = demo_logins(db)
    finally:
        db.close()
    if found:
        raise ConfigError(
            f"demo users still have their published demo passwords: {', '.join(found)}; "
            "give each a new one (contactcenter users passwd NAME) or disable it "
            "(contactcenter users disable NAME) before running in production")


async def _run(config: Config) -> None:
    async with open_platform(config) as platform:
        platform.flows.reload_on_sighup()  # `contactcenter flows reload --pid N`
        await wait_for_stop_signal()


async def wait_for_stop_signal() -> None:
    """Until SIGINT or SIGTERM: components then close in reverse order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
