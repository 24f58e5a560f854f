"""A console over a real Distributor (memory store), a seeded SQLite CRM and a real bus."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.acd.agents import AgentProfile
from contactcenter.acd.distributor import Distributor
from contactcenter.agent_console.app import create_app
from contactcenter.crm.database import Database
from contactcenter.crm.seed import demo_password, seed
from contactcenter.events import EventBus
from contactcenter.queue.memory_store import MemoryStore

AGENTS = ("agent101", "agent102")


class NoPbx:
    """The PBX edge, absent: these tests never originate a call through it."""

    async def originate_bridge(self, *, device: str, caller_channel: str, timeout_ms: int,
                               caller_id: str, call_id: str,
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
def db(seeded_db_file: Path, tmp_path: Path) -> Iterator[Database]:
    copy = tmp_path / "crm.db"
    copy.write_bytes(seeded_db_file.read_bytes())
    database = Database.open(f"sqlite:///{copy}")
    yield database
    database.close()


@pytest.fixture
async def console(db: Database) -> AsyncIterator[tuple[TestServer, EventBus, Distributor]]:
    bus = EventBus()
    async with Distributor(MemoryStore(), NoPbx(), bus) as desk:
        for agent in AGENTS:
            await desk.register_agent(AgentProfile(agent, f"SIP/{agent}", {"support": 0}))
        server = TestServer(create_app(desk=desk, db=db, bus=bus, heartbeat_s=1.0),
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
