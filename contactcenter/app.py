"""Wiring: configuration -> components, opened in order and closed in reverse in one place.

`open_platform()` is the whole platform as one async context manager; `contactcenter run`
and `contactcenter demo` both use it, so the demo runs exactly what production runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.announcer import Announcer
from contactcenter.acd.call_actions import CallActions
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.queues import load_queue_definitions
from contactcenter.agent_console.app import create_app
from contactcenter.config import Config
from contactcenter.crm.database import Database
from contactcenter.crm.users import Users
from contactcenter.cti.bridge import AmiBridge
from contactcenter.cti.interactions import InteractionRecorder
from contactcenter.cti.screenpop import ScreenPopper
from contactcenter.errors import ConfigError
from contactcenter.events import EventBus
from contactcenter.ivr.crm_lookup import crm_lookup
from contactcenter.ivr.fastagi import FastAgiServer
from contactcenter.ivr.runtime import FlowRegistry, IvrService
from contactcenter.queue.backend import open_store
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


@contextlib.asynccontextmanager
async def open_platform(config: Config, *, bus: EventBus | None = None,
                        console: bool = True) -> AsyncIterator[Platform]:
    """Database, then the bus consumers (so no event is missed), then the AMI link, then
    the agent console (unless `console` is False)."""
    bus = bus or EventBus()
    async with contextlib.AsyncExitStack() as stack:
        db = await asyncio.to_thread(Database.open, config.database.url)
        stack.callback(db.close)
        await stack.enter_async_context(InteractionRecorder(bus, db))
        await stack.enter_async_context(ScreenPopper(bus, db))
        flows = FlowRegistry(config.flows.directory)
        for line in await asyncio.to_thread(flows.reload):
            log.error("%s", line)
        if not flows.flows:
            raise ConfigError(f"no valid flow in {config.flows.directory!r}")
        renderer = PromptRenderer(config.speech.cache_dir, voice=config.speech.voice)
        ivr = IvrService(flows, renderer, bus, lookup=crm_lookup(db))
        if config.flows.watch:
            watcher = asyncio.create_task(flows.watch(), name="flow-watcher")
            stack.push_async_callback(_cancel, watcher)
        queues = await asyncio.to_thread(
            load_queue_definitions, Path(config.flows.directory) / "queues.yaml")
        bridge = AmiBridge(config.ami, bus)
        store = await stack.enter_async_context(open_store(config.store, queues))
        distributor = await stack.enter_async_context(
            Distributor(store, bridge, bus, queues=queues,
                        lease_seconds=config.store.lease_seconds))
        agi = await stack.enter_async_context(FastAgiServer(  # the queue's announcements too
            Announcer(distributor, renderer).route(ivr.handle), host=config.agi.host,
            port=config.agi.port))
        for profile in await asyncio.to_thread(agent_profiles, db):
            await distributor.register_agent(profile)
        await bridge.start()
        stack.push_async_callback(bridge.close)
        if console:
            calls = await stack.enter_async_context(CallActions(distributor, bridge, bus))
            runner = web.AppRunner(create_app(desk=distributor, db=db, bus=bus, calls=calls))
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            await web.TCPSite(runner, config.web.host, config.web.port).start()
            log.info("console on http://%s:%s/", config.web.host, config.web.port)
        log.info("platform up: AMI %s:%s, FastAGI %s:%s", config.ami.host, config.ami.port,
                 config.agi.host, agi.port)
        yield Platform(config=config, bus=bus, db=db, bridge=bridge, flows=flows, agi=agi,
                       distributor=distributor)


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
    asyncio.run(_run(config))
    return 0


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
