"""A console over a real Distributor (memory store), a seeded SQLite CRM and a real bus;
the whole platform over the PBX simulator; Debian's Chromium for the browser tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Page, async_playwright

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.announcer import ANNOUNCE_CONTEXT, ANNOUNCE_FLOW
from contactcenter.acd.call_actions import CallActions
from contactcenter.acd.distributor import Distributor
from contactcenter.acd.events import CallConnected
from contactcenter.agent_console.app import create_app
from contactcenter.app import Platform, open_platform
from contactcenter.complaints.config import load_settings
from contactcenter.complaints.desk import ComplaintDesk
from contactcenter.config import load_config
from contactcenter.crm.database import Database
from contactcenter.crm.queue_log import QueueLog
from contactcenter.crm.seed import demo_password, seed
from contactcenter.events import EventBus
from contactcenter.ivr.events import IvrFinished
from contactcenter.queue.memory_store import MemoryStore
from contactcenter.sim import PbxSimulator, ScriptedAgent, ScriptedCaller, SimCall
from tests.conftest import free_port
from tests.helpers import SHIPPED, next_event, rows
from tests.reports.scripted_day import EVENTS

AGENTS = ("agent101", "agent102")
SUPERVISOR_PHONE = "SIP/supervisor"  # the simulator's phone for monitoring (its user's device)
TRANSFER_TARGET = "+15550100"  # a number whose phone answers transfers and dials at once
ADA = ScriptedCaller(number="+14155550123", name="Ada Lovelace", answers=("2",))  # support
ANSWERS = ScriptedAgent(answer_after=0.2, talk_seconds=None)  # and stays until hung up
FLOWS = Path(__file__).parents[2] / "flows"
COMPLAINTS = load_settings(FLOWS / "complaints.yaml")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class NoPbx:
    """The PBX edge, absent: these tests never reach it (no agent has a connected call)."""

    connected = False  # so the ACD never tries to place an offer

    async def originate_bridge(self, *, device: str, caller_channel: str, timeout_ms: int,
                               caller_id: str, call_id: str, after_call: str = "",
                               variables: Mapping[str, str] | None = None) -> str:
        raise AssertionError("no PBX in console tests")

    async def hangup(self, channel: str, cause: int = 16) -> None:
        raise AssertionError("no PBX in console tests")


@pytest.fixture(scope="session")
def seeded_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crm") / "seeded.db"
    db = Database.open(f"sqlite:///{path}")
    seed(db)
    db.close()
    return path


@pytest.fixture
def db_url(seeded_db_file: Path, tmp_path: Path) -> str:
    """A fresh copy of the seeded CRM for one test."""
    copy = tmp_path / "crm.db"
    copy.write_bytes(seeded_db_file.read_bytes())
    return f"sqlite:///{copy}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.open(db_url)
    yield database
    database.close()


@pytest.fixture
async def console(db: Database) -> AsyncIterator[tuple[TestServer, EventBus, Distributor]]:
    async with console_server(db) as console:
        yield console


@pytest.fixture
async def reports(db: Database) -> AsyncIterator[tuple[TestServer, EventBus, Distributor]]:
    """The console with the shipped queues, the scripted day in the queue log."""
    QueueLog(db).add(rows(EVENTS))
    async with console_server(db, queues=SHIPPED) as console:
        yield console


@contextlib.asynccontextmanager
async def console_server(db: Database, **app: object) -> AsyncIterator[
        tuple[TestServer, EventBus, Distributor]]:
    """The console over a Distributor without a PBX; `app`: more of create_app's options."""
    bus = EventBus()
    async with Distributor(MemoryStore(), NoPbx(), bus) as desk, \
            CallActions(desk, NoPbx(), bus) as calls:  # type: ignore[arg-type]
        for agent in AGENTS:
            await desk.register_agent(AgentProfile(agent, f"SIP/{agent}", {"support": 0}))
        server = TestServer(create_app(desk=desk, db=db, bus=bus, calls=calls,
                                       complaints=ComplaintDesk(db, COMPLAINTS),
                                       heartbeat_s=1.0, **app),  # type: ignore[arg-type]
                            host="127.0.0.1")
        await server.start_server()
        try:
            yield server, bus, desk
        finally:
            await server.close()


async def logged_in(server: TestServer, username: str) -> tuple[TestClient, str]:
    """A client with a session for `username` and that session's CSRF token."""
    client = TestClient(server)
    await client.start_server()
    response = await client.post("/login", data={"username": username,
                                                 "password": demo_password(username)},
                                 allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/"
    session = await (await client.get("/api/session")).json()
    return client, session["csrf"]


@dataclass
class LivePlatform:
    """The platform as `contactcenter run` wires it, over a PBX simulator on loopback."""

    platform: Platform
    sim: PbxSimulator
    base: str  # the console's URL, without a trailing slash


@contextlib.asynccontextmanager
async def live_platform(db_url: str, tmp_path: Path, *,
                        phone: ScriptedAgent = ANSWERS,
                        flows: Path = FLOWS) -> AsyncIterator[LivePlatform]:
    """Simulator, then open_platform() on free ports with the seeded CRM and `flows`.
    Every agent's phone (and TRANSFER_TARGET's, and SUPERVISOR_PHONE) is `phone`."""
    config = load_config(None, env={})
    config = dataclasses.replace(
        config,
        agi=dataclasses.replace(config.agi, port=free_port()),
        web=dataclasses.replace(config.web, host="127.0.0.1", port=free_port()),
        flows=dataclasses.replace(config.flows, directory=str(flows), watch=False),
        speech=dataclasses.replace(config.speech, cache_dir=str(tmp_path / "prompts")),
        database=dataclasses.replace(config.database, url=db_url))
    async with PbxSimulator(agi_port=config.agi.port, customers={TRANSFER_TARGET: phone},
                            agi_contexts={ANNOUNCE_CONTEXT: ANNOUNCE_FLOW},  # as Asterisk's
                            agents={f"SIP/{agent}": phone
                                    for agent in (*AGENTS, "supervisor")}) as sim:
        config = dataclasses.replace(config, ami=dataclasses.replace(
            config.ami, host="127.0.0.1", port=sim.ami_port, secret="ccsecret"))
        async with open_platform(config) as platform:
            yield LivePlatform(platform, sim, f"http://127.0.0.1:{config.web.port}")


@pytest.fixture
async def live(db_url: str, tmp_path: Path) -> AsyncIterator[LivePlatform]:
    """The platform over the simulator with the shipped flows; agent phones (and
    TRANSFER_TARGET's) answer after 0.2 s and stay up until someone hangs up."""
    async with live_platform(db_url, tmp_path) as platform:
        yield platform


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, closed after the test."""
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def signed_in_page(browser: Browser, base: str, username: str) -> Page:
    """A 1366x768 page signed in as `username` through the login form, on its home page."""
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", demo_password(username))
    await page.click("button[type=submit]")
    home = {"agent": "/agent", "resolver": "/complaints"}.get(username.rstrip("0123456789"),
                                                              "/supervisor")
    await page.wait_for_url(f"{base}{home}")
    return page


class Console:
    """One agent's signed-in HTTP session on the live console."""

    def __init__(self, http: ClientSession, csrf: str) -> None:
        self.http, self.csrf = http, csrf

    async def post(self, path: str, body: dict | None = None) -> tuple[int, dict | str]:
        async with self.http.post(path, json=body or {},
                                  headers={"X-CSRF-Token": self.csrf}) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()


@contextlib.asynccontextmanager
async def signed_in(live: LivePlatform, username: str) -> AsyncIterator[Console]:
    """`username` signed in to the live console through its login form, over HTTP."""
    async with ClientSession(live.base, cookie_jar=CookieJar(unsafe=True)) as http:
        async with http.post("/login", data={"username": username,
                                             "password": demo_password(username)}) as signed:
            assert signed.status == 200
        async with http.get("/api/session") as session:
            yield Console(http, (await session.json())["csrf"])


def survey_ratings(now: float) -> list[object]:
    """Two support calls answered a minute ago and rated 5 and 2 after, a sales call
    answered and not rated: the events the wallboard's survey figures come from."""
    return [
        *(CallConnected(call_id, "agent101", "support", 4.0, now - 60) for call_id in "ab"),
        CallConnected("c", "agent102", "sales", 4.0, now - 60),
        *(IvrFinished(call_id, "survey", "v1", "hangup", "thanks", ("rate", "thanks"),
                      {"survey_score": score}, now - 10) for call_id, score in (("a", "5"),
                                                                               ("b", "2")))]


async def connected_call(live: LivePlatform, agent: Console,
                         events: asyncio.Queue[object]) -> tuple[SimCall, str]:
    """Ada's call, answered by the agent; (the call, the agent leg's channel)."""
    assert (await agent.post("/api/state", {"state": "available"}))[0] == 200
    call = live.sim.place_call(ADA)
    await next_event(events, CallConnected, lambda e: e.call_id == call.uniqueid)
    leg = live.sim.channels[call.channel].bridged_with
    assert leg.startswith("SIP/agent101")
    return call, leg
