"""Kill -9 the platform while callers wait: a new process rebuilds the queue from the PBX's
channels alone (the memory store died with the old one) and answers every caller in the
order they first queued. The platform runs as `contactcenter run` in its own OS process;
the simulator, which keeps the callers in music on hold, runs here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from contactcenter.acd.announcer import ANNOUNCE_CONTEXT, ANNOUNCE_FLOW
from contactcenter.crm.database import Database
from contactcenter.crm.seed import USERS, seed
from contactcenter.crm.users import Users
from contactcenter.sim import PbxSimulator, ScriptedAgent, ScriptedCaller, SimCall
from contactcenter.sim.stats import CallOutcome
from tests.conftest import free_port
from tests.faults.harness import FLOW  # play a prompt, then queue for support
from tests.helpers import eventually

PLATFORM = Path(sys.executable).parent / "contactcenter"
SECRET = "restart-secret"
CALLERS = 4
QUEUES = """queues:
  support: {wrap_up_seconds: 0.1, ring_timeout_seconds: 5, announce: {on_entry: false}}
  sales: {wrap_up_seconds: 0.1}
  billing: {wrap_up_seconds: 0.1}
"""


def write_config(tmp_path: Path, ami_port: int, agi_port: int, web_port: int) -> Path:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text(FLOW)
    (flows / "queues.yaml").write_text(QUEUES)
    db = Database.open(f"sqlite:///{tmp_path / 'crm.db'}")
    seed(db)
    for user, *_ in USERS:  # `run` refuses a database where demo passwords still work
        Users(db).set_password(user, password(user))
    db.close()
    config = tmp_path / "platform.toml"
    config.write_text(f"""
[ami]
port = {ami_port}
secret = "{SECRET}"
reconnect_max_delay = 0.5
[agi]
port = {agi_port}
[web]
port = {web_port}
[database]
url = "sqlite:///{tmp_path / 'crm.db'}"
[flows]
directory = "{flows}"
watch = false
[speech]
cache_dir = "{tmp_path / 'prompts'}"
""")
    return config


def password(user: str) -> str:
    return f"{user}-restarted"


def output(log: Path) -> str:
    """The platforms' logs, for a failing assertion's message."""
    return log.read_text(errors="replace")


@contextlib.asynccontextmanager
async def platform(config: Path, web_port: int, log: Path) -> AsyncIterator[
        asyncio.subprocess.Process]:
    """`contactcenter run` until the console answers; SIGKILLed at the end if still up."""
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            str(PLATFORM), "--config", str(config), "run", stdout=out, stderr=out,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        async with aiohttp.ClientSession() as http:
            async def answers() -> bool:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{web_port}/login") as response:
                        return response.status == 200
                return False

            for _ in range(300):
                assert proc.returncode is None, output(log)
                if await answers():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"platform never came up:\n{output(log)}")
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def console_login(http: aiohttp.ClientSession, base: str, user: str) -> str:
    """Log `user` in to the console; their CSRF token."""
    async with http.post(f"{base}/login", data={"username": user,
                                                "password": password(user)},
                         allow_redirects=False) as response:
        assert response.status == 302
    async with http.get(f"{base}/api/session") as response:
        return (await response.json())["csrf"]


async def test_a_killed_platform_is_replaced_and_loses_no_caller(tmp_path) -> None:
    agi_port, web_port = free_port(), free_port()
    base = f"http://127.0.0.1:{web_port}"
    agents = {"SIP/agent101": ScriptedAgent(answer_after=0.05, talk_seconds=0.2)}
    async with PbxSimulator(secret=SECRET, agi_port=agi_port, agents=agents,
                            agi_contexts={ANNOUNCE_CONTEXT: ANNOUNCE_FLOW}) as sim:
        config = write_config(tmp_path, sim.ami_port, agi_port, web_port)
        log = tmp_path / "platform.log"
        async with platform(config, web_port, log) as first:
            # Each caller dials in before the last and listens longer, so the queue's
            # order is the reverse of the channels' order: only CC_ENTERED can rebuild it.
            dialled = [sim.place_call(ScriptedCaller(number=f"+1415555013{i}",
                                                     think_seconds=0.2 * (CALLERS - i)))
                       for i in range(CALLERS)]
            await eventually(lambda: all(c.phase == "waiting" for c in dialled), within=10)
            calls = sorted(dialled, key=lambda c: float(
                sim.pbx.channels[c.channel].variables["CC_ENTERED"]))
            assert calls == dialled[::-1]
            first.kill()  # kill -9: no goodbye to the PBX, the memory store is gone
            await first.wait()
        assert all(sim.is_alive(c.channel) for c in calls)  # callers hold in the PBX

        async with platform(config, web_port, log) as second, \
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as boss, \
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as agent:
            await console_login(boss, base, "supervisor")

            async def waiting() -> int:
                async with boss.get(f"{base}/api/wallboard") as response:
                    return (await response.json())["queues"]["support"]["waiting"]

            for _ in range(200):  # the new process resyncs the channels into its queue
                if await waiting() == CALLERS:
                    break
                await asyncio.sleep(0.05)
            assert await waiting() == CALLERS, output(log)

            csrf = await console_login(agent, base, "agent101")
            async with agent.post(f"{base}/api/state", json={"state": "login"},
                                  headers={"X-CSRF-Token": csrf}) as response:
                assert response.status == 200
            order: list[SimCall] = []

            async def answered_in_order() -> None:
                while len(order) < CALLERS:
                    order.extend(c for c in calls if c.answered and c not in order)
                    await asyncio.sleep(0.01)

            await asyncio.wait_for(answered_in_order(), 20)
            outcomes = await asyncio.wait_for(asyncio.gather(*(c.wait() for c in calls)), 10)
            async with boss.get(f"{base}/api/wallboard") as response:
                board = await response.json()
            assert second.returncode is None
    assert [c.uniqueid for c in order] == [c.uniqueid for c in calls], output(log)
    assert outcomes == [CallOutcome.ANSWERED] * CALLERS
    assert sim.stats.double_offers == 0
    assert (board["queues"]["support"]["waiting"], board["abandoned"]) == (0, 0)
