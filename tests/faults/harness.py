"""Fault drills from the outside (issue 10): the simulator (`contactcenter sim`) and every
platform (`contactcenter run`) are real processes, Redis a real redis-server; faults are
injected from outside (the simulator's control API, signals, closed sockets), and every call
is judged against the simulator's record, the CRM's rows and what each agent's console got.

A drill places traffic, runs its fault meanwhile, lets the calls drain and returns a
Verdict: every call answered, abandoned (the caller's own patience) or overflowed, none
stranded, none offered twice, no phone rung while busy, every agent available at the end,
every interaction row closed with the simulator's outcome, every connected call's pop on
its agent's console. tests/faults/ runs each drill small; bench/drills.py runs them at size.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from argon2 import PasswordHasher
from redis.asyncio import Redis as RedisClient
from sqlalchemy import select

from contactcenter.agent_console.app import COOKIE
from contactcenter.agent_console.auth import Sessions
from contactcenter.crm.database import Database
from contactcenter.crm.models import InteractionRow
from contactcenter.crm.users import Users
from tests.conftest import free_port

SECRET = "drill-secret"
SERVICE = "drill"  # the primary's name in the sentinel's config
QUEUES = ("support", "operator")  # the flow's queue, and the dialplan's fallback queue
FLOW = """name: main
start: hold
steps:
  hold:
    play: one-moment-please
    next: support
  support:
    queue:
      name: support
"""
QUEUES_YAML = """queues:
  support: {wrap_up_seconds: 0.3, ring_timeout_seconds: 5, announce: {on_entry: false}}
  operator: {wrap_up_seconds: 0.3, ring_timeout_seconds: 5, announce: {on_entry: false}}
"""
QUEUED = ("answered", "abandoned", "overflowed")  # the outcomes of a call that was queued


def password(username: str) -> str:
    return f"{username}-drill"


def agent_names(count: int) -> list[str]:
    return [f"agent{101 + i}" for i in range(count)]


def make_crm(path: Path, agents: int) -> None:
    """A CRM with `agents` agents (phone SIP/<name>, both queues) and a supervisor, each
    signed in to the console already (their session tokens in sessions.json beside it:
    signing in by password costs a second of argon2 each)."""
    db = Database.open(f"sqlite:///{path}")
    try:
        users = Users(db, PasswordHasher(time_cost=1, memory_cost=1024))
        sessions = Sessions(db)
        users.create("supervisor", password("supervisor"), role="supervisor")
        tokens = {"supervisor": astuple(sessions.create("supervisor", "supervisor"))}
        for name in agent_names(agents):
            users.create(name, password(name), device=f"SIP/{name}",
                         queues=dict.fromkeys(QUEUES, 0))
            tokens[name] = astuple(sessions.create(name, "agent"))
    finally:
        db.close()
    (path.parent / "sessions.json").write_text(json.dumps(tokens))


@dataclass(frozen=True)
class Traffic:
    """How much a drill places: `calls` over `seconds` to `agents` agents who answer after
    0.2 s and talk `talk_seconds`; every `impatient_every`th caller hangs up after
    `patience` s in the queue (an abandon is the caller's choice, not a loss)."""

    calls: int = 24
    seconds: float = 5.0
    agents: int = 4
    talk_seconds: float = 1.0
    impatient_every: int = 6
    patience: float = 2.0
    drain_seconds: float = 30.0  # after the traffic, how long calls may take to end

    def callers(self) -> list[dict[str, object]]:
        return [{"number": f"+1415555{1000 + i}", "name": f"Caller {i}",
                 "patience": self.patience if i % self.impatient_every == 1 else None}
                for i in range(self.calls)]


# -- processes -------------------------------------------------------------------------------

class Process:
    """A child process whose output goes to `log`; killed at the end if still up."""

    def __init__(self, argv: Sequence[str], log: Path) -> None:
        self.argv, self.log = list(argv), log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, stdout: int | None = None) -> asyncio.subprocess.Process:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, stdout=stdout or out, stderr=out,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        return self.proc

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def send(self, sig: int) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(sig)

    async def stop(self, sig: int = signal.SIGTERM, within: float = 10.0) -> None:
        if self.proc is None:
            return
        self.send(signal.SIGCONT)  # a frozen process cannot act on SIGTERM
        self.send(sig)
        try:
            await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    async def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        await self.stop(signal.SIGKILL)


class Simulator(Process):
    """`python -m contactcenter.sim` and its control API."""

    def __init__(self, tmp: Path, agi_ports: Sequence[int], agents: Sequence[str],
                 talk_seconds: float) -> None:
        super().__init__([sys.executable, "-m", "contactcenter.sim", "--config",
                          str(tmp / "sim.toml"), "--ami-port", "0",
                          *(f"--agi-port={port}" for port in agi_ports), "--answer-after",
                          "0.2", "--talk-seconds", str(talk_seconds),
                          *(f"--agent=SIP/{a}" for a in agents)], tmp / "sim.log")
        (tmp / "sim.toml").write_text(f'[ami]\nsecret = "{SECRET}"\n[log]\nlevel = "WARNING"\n')
        self.ami_port = self.control_port = 0
        self.http: aiohttp.ClientSession | None = None

    async def start(self, stdout: int | None = None) -> asyncio.subprocess.Process:
        proc = await super().start(asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        if not line:
            raise AssertionError(f"the simulator did not start:\n{self.log.read_text()}")
        ready = json.loads(line)
        self.ami_port, self.control_port = ready["ami_port"], ready["control_port"]
        self.http = aiohttp.ClientSession(f"http://127.0.0.1:{self.control_port}")
        return proc

    async def stop(self, sig: int = signal.SIGTERM, within: float = 10.0) -> None:
        if self.http is not None:
            await self.http.close()
        await super().stop(sig, within)

    async def call(self, method: str, path: str, body: object = None) -> dict:
        assert self.http is not None
        async with self.http.request(method, path, json=body) as response:
            data = await response.json()
            assert response.status < 300, data
            return data

    async def place(self, callers: list[dict[str, object]], seconds: float) -> None:
        await self.call("POST", "/calls", {"callers": callers, "seconds": seconds})

    async def record(self) -> dict:
        return await self.call("GET", "/record")

    async def ami_fault(self, fault: str, seconds: float = 0.0) -> None:
        await self.call("POST", f"/ami/{fault}", {"seconds": seconds})


def platform_config(tmp: Path, name: str, *, ami_port: int, agi_port: int, web_port: int,
                    db_url: str, prompts: Path, redis_url: str = "",
                    log_level: str = os.environ.get("DRILL_LOG_LEVEL", "INFO"),
                    sentinel_port: int = 0) -> Path:
    store = (f'backend = "redis"\nredis_url = "{redis_url}"\nkey_prefix = "drill:"\n'
             "lease_seconds = 3.0\n" if redis_url else 'backend = "memory"\n')
    if sentinel_port:
        store += f'sentinels = "127.0.0.1:{sentinel_port}"\nsentinel_service = "{SERVICE}"\n'
    path = tmp / f"{name}.toml"
    path.write_text(f"""
[ami]
port = {ami_port}
secret = "{SECRET}"
reconnect_max_delay = 0.5
check_seconds = 1.0
[agi]
port = {agi_port}
[web]
port = {web_port}
[store]
{store}
[database]
url = "{db_url}"
[flows]
directory = "{tmp / 'flows'}"
watch = false
[speech]
cache_dir = "{prompts}"
[log]
level = "{log_level}"
""")
    return path


class Platform(Process):
    """`contactcenter run` (or `argv` that runs it differently), up once its console is."""

    def __init__(self, config: Path, web_port: int, log: Path,
                 argv: Sequence[str] | None = None) -> None:
        super().__init__(argv or [sys.executable, "-m", "contactcenter", "--config", str(config),
                                  "run"], log)
        self.web_port = web_port
        self.base = f"http://127.0.0.1:{web_port}"

    async def start(self, stdout: int | None = None) -> asyncio.subprocess.Process:
        proc = await super().start()
        async with aiohttp.ClientSession() as http:
            for _ in range(400):
                if proc.returncode is not None:
                    break
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.base}/login") as response:
                        if response.status == 200:
                            return proc
                await asyncio.sleep(0.05)
        raise AssertionError(f"the platform did not come up:\n{self.log.read_text()[-3000:]}")


class Redis(Process):
    """A redis-server of the drill's own, on one port, keeping its data in an append-only
    file so that a restart finds it again (`fsync`: its appendfsync, "everysec" as most
    deployments run it, "always" when a drill restarts it)."""

    def __init__(self, tmp: Path, fsync: str = "always", name: str = "redis",
                 replica_of: int = 0) -> None:
        self.port = free_port()
        workdir = tmp / name
        workdir.mkdir(exist_ok=True)
        binary = shutil.which("redis-server") or "redis-server"
        super().__init__([binary, "--port", str(self.port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "yes", "--appendfsync", fsync,
                          "--dir", str(workdir),
                          *(("--replicaof", "127.0.0.1", str(replica_of)) if replica_of else ())],
                         tmp / f"{name}.log")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    async def start(self, stdout: int | None = None) -> asyncio.subprocess.Process:
        proc = await super().start()
        for _ in range(200):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return proc
            await asyncio.sleep(0.02)
        raise AssertionError("redis-server did not start")

    async def freeze(self, seconds: float) -> None:
        """SIGSTOP: the socket stays open and nothing answers."""
        self.send(signal.SIGSTOP)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.send(signal.SIGCONT)


class Sentinel(Redis):
    """A Redis Sentinel (`redis-server FILE --sentinel`: Debian's redis-server is the same
    binary) watching `primary` as SERVICE, quick to act: down after 1 s."""

    def __init__(self, tmp: Path, primary: Redis) -> None:
        self.port = free_port()
        conf = tmp / "sentinel.conf"  # the sentinel rewrites it as it learns
        conf.write_text(f"port {self.port}\nbind 127.0.0.1\ndir {tmp}\n"
                        f"sentinel monitor {SERVICE} 127.0.0.1 {primary.port} 1\n"
                        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                        f"sentinel failover-timeout {SERVICE} 10000\n")
        Process.__init__(self, [shutil.which("redis-server") or "redis-server", str(conf),
                                "--sentinel"], tmp / "sentinel.log")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    async def command(self, *args: str) -> Any:
        client = RedisClient(port=self.port, decode_responses=True)
        try:
            return await client.execute_command("SENTINEL", *args)
        finally:
            await client.aclose()

    async def primary_port(self) -> int:
        return int((await self.command("GET-MASTER-ADDR-BY-NAME", SERVICE))[1])

    async def ready(self, within: float = 20.0) -> None:
        """Once the sentinel sees a replica in sync, a failover has somewhere to go."""
        deadline = time.monotonic() + within
        while True:
            replicas = await self.command("REPLICAS", SERVICE)
            if any(r.get("master-link-status") == "ok" and "s_down" not in r.get("flags", "")
                   for r in replicas):
                return
            assert time.monotonic() < deadline, f"no replica in sync: {replicas}"
            await asyncio.sleep(0.2)


# -- the agents' consoles --------------------------------------------------------------------

@dataclass
class AgentConsole:
    """One agent's browser: a session, and a websocket per console that reconnects when it
    drops (as the page does), noting every pop it gets."""

    name: str
    http: aiohttp.ClientSession
    csrf: str = ""
    pops: set[str] = field(default_factory=set)
    sockets: list[aiohttp.ClientWebSocketResponse] = field(default_factory=list)


class Consoles:
    """The agents (and a supervisor) logged in to a platform's console at `base`; their pages
    may watch other consoles too (`watch`)."""

    def __init__(self, base: str, agents: Sequence[str]) -> None:
        self.base = base
        self.names = list(agents)
        # told of every message a page gets: (agent, message, wall-clock time received)
        self.listener: Callable[[str, dict, float], None] | None = None
        self.agents: dict[str, AgentConsole] = {}
        self.supervisor: aiohttp.ClientSession | None = None
        self._readers: set[asyncio.Task[None]] = set()

    async def open(self, sessions: dict[str, list[str]]) -> None:
        """Each page with its user's session (by user: the Session's fields); the agents
        log in."""
        self.supervisor = _session(sessions["supervisor"][0])
        self.agents = {name: AgentConsole(name, _session(sessions[name][0]),
                                          sessions[name][3]) for name in self.names}
        await self.log_in_agents()
        self.watch(self.base)

    def watch(self, base: str) -> None:
        """Every agent's page on the console at `base` too."""
        for agent in self.agents.values():
            task = asyncio.create_task(self._read_pops(agent, base))
            self._readers.add(task)

    async def log_in_agents(self, base: str | None = None) -> None:
        """Each agent goes available (after a restart that lost their state, again),
        trying again as a person would when the console answers with an error. An agent
        the console finds on a call (409) is left on it: they are free once it ends."""
        for agent in self.agents.values():
            for _ in range(20):
                async with agent.http.post(f"{base or self.base}/api/state",
                                           json={"state": "login"},
                                           headers={"X-CSRF-Token": agent.csrf}) as response:
                    if response.status in (200, 409):
                        break
                    error = f"{response.status} {await response.text()}"
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"{agent.name} cannot log in: {error}")

    async def _read_pops(self, agent: AgentConsole, base: str) -> None:
        while True:
            try:
                async with agent.http.ws_connect(f"{base}/ws", heartbeat=None) as ws:
                    agent.sockets.append(ws)
                    async for message in ws:
                        if message.type is aiohttp.WSMsgType.TEXT:
                            received = time.time()
                            data = json.loads(message.data)
                            if self.listener is not None:
                                self.listener(agent.name, data, received)
                            if data.get("type") == "pop":
                                agent.pops.add(data["call_id"])
            except (aiohttp.ClientError, ConnectionError):
                pass
            await asyncio.sleep(0.1)  # the page reconnects

    def drop_sockets(self) -> None:
        """Every agent's websocket dies at once (the network, or the browser)."""
        for agent in self.agents.values():
            for ws in agent.sockets:
                transport = ws.get_extra_info("socket")
                if transport is not None:
                    with contextlib.suppress(OSError):
                        transport.shutdown(2)
            agent.sockets.clear()

    async def agent_states(self, base: str | None = None) -> dict[str, tuple[str, str]]:
        """Every agent's (state, reason) on the supervisor's wallboard (of these consoles'
        agents); {} while the console cannot answer (the page shows the last board and asks again)."""
        assert self.supervisor is not None
        async with self.supervisor.get(f"{base or self.base}/api/wallboard") as response:
            if response.status != 200:
                return {}
            board = await response.json()
        return {row["agent_id"]: (row["state"], row["reason"]) for row in board["agents"]
                if row["agent_id"] in self.agents}

    async def close(self) -> None:
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        for agent in self.agents.values():
            await agent.http.close()
        if self.supervisor is not None:
            await self.supervisor.close()


def _session(token: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookies={COOKIE: token},
                                 cookie_jar=aiohttp.CookieJar(unsafe=True))


# -- the verdict -----------------------------------------------------------------------------

@dataclass
class Verdict:
    drill: str
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    lost: list[str] = field(default_factory=list)  # stranded, dropped or cleared
    double_offered: int = 0
    double_calls: list[str] = field(default_factory=list)
    busy_rings: int = 0
    stuck_agents: dict[str, tuple[str, str]] = field(default_factory=dict)
    records_wrong: dict[str, str] = field(default_factory=dict)  # call -> what is wrong
    unseen: int = 0  # came and went while no platform process ran: nobody could record them
    fault_seen: bool = True  # the drill's evidence was in the platforms' logs
    pops_missing: list[str] = field(default_factory=list)  # "agent:call"
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not (self.lost or self.double_offered or self.busy_rings or self.stuck_agents
                    or self.records_wrong or self.pops_missing) and self.answered > 0 \
            and self.fault_seen

    def row(self) -> dict[str, object]:
        return {"drill": self.drill, "calls": self.calls, "answered": self.answered,
                "abandoned": self.abandoned, "overflowed": self.overflowed,
                "lost": len(self.lost), "double_offered": self.double_offered,
                "busy_rings": self.busy_rings, "stuck_agents": len(self.stuck_agents),
                "records_wrong": len(self.records_wrong), "unseen": self.unseen,
                "pops_missing": len(self.pops_missing), "fault_seen": self.fault_seen,
                "seconds": round(self.seconds, 1)}

    def explain(self) -> str:
        return json.dumps({**self.row(), "lost_calls": self.lost[:10],
                           "double": self.double_calls,
                           "stuck": self.stuck_agents, "wrong": dict(list(
                               self.records_wrong.items())[:10]),
                           "missing_pops": self.pops_missing[:10]}, default=str, indent=1)


def interaction_rows(db_url: str) -> dict[str, tuple[str, str | None]]:
    """call_id -> (state, outcome) of every interaction row."""
    db = Database.open(db_url)
    try:
        with db.session() as session:
            return {row.call_id: (row.state, row.outcome)
                    for row in session.scalars(select(InteractionRow))}
    finally:
        db.close()


def judge(verdict: Verdict, record: dict, rows: dict[str, tuple[str, str | None]],
          states: dict[str, tuple[str, str]], consoles: Consoles,
          outages: Sequence[tuple[float, float]] = ()) -> Verdict:
    """`outages`: (from, to) wall-clock times when no platform process ran; a call that
    came and went within one has no record, and cannot have one."""
    calls = record["calls"]
    verdict.calls = len(calls)
    verdict.double_offered = record["double_offers"]
    verdict.double_calls = [f"{c['uniqueid']}: rang {c['offered_to']}, talked to "
                            f"{c['bridged_to']}" for c in calls
                            if c["uniqueid"] in record["double_offered"]]
    verdict.busy_rings = len(record["busy_rings"])
    for call in calls:
        outcome = call["outcome"]
        if outcome in QUEUED:
            setattr(verdict, outcome, getattr(verdict, outcome) + 1)
            row = rows.get(call["uniqueid"])
            if row is None and any(start <= call["started_at"] and call["ended_at"] <= end
                                   for start, end in outages):
                verdict.unseen += 1
            elif row != ("ended", outcome):
                verdict.records_wrong[call["uniqueid"]] = f"{outcome}, recorded {row}"
        else:  # still in the PBX, dropped by the dialplan or cleared by the platform
            verdict.lost.append(f"{call['uniqueid']}:{outcome or call['phase']}")
        for device in set(call["bridged_to"]):
            agent = consoles.agents.get(device.removeprefix("SIP/"))
            if agent is not None and call["uniqueid"] not in agent.pops:
                verdict.pops_missing.append(f"{agent.name}:{call['uniqueid']}")
    verdict.stuck_agents = {name: state for name, state in states.items()
                            if state[0] != "available"}
    return verdict


# -- a drill ---------------------------------------------------------------------------------

@dataclass
class Rig:
    """What a drill's fault may act on while the traffic flows."""

    tmp: Path
    sim: Simulator
    platforms: list[Platform]
    consoles: Consoles
    traffic: Traffic
    redis: Redis | None
    db_url: str
    prompts: Path
    sentinel: Sentinel | None = None  # then `redis` is the first primary, with a replica
    outages: list[tuple[float, float]] = field(default_factory=list)  # no platform ran
    log_level: str = os.environ.get("DRILL_LOG_LEVEL", "INFO")

    def new_platform(self, name: str, *, agi_port: int | None = None,
                     argv: Sequence[str] | None = None) -> Platform:
        web_port = free_port()
        config = platform_config(self.tmp, name, ami_port=self.sim.ami_port,
                                 agi_port=agi_port or free_port(), web_port=web_port,
                                 db_url=self.db_url, prompts=self.prompts,
                                 redis_url=self.redis.url if self.redis else "",
                                 log_level=self.log_level,
                                 sentinel_port=self.sentinel.port if self.sentinel else 0)
        return Platform(config, web_port, self.tmp / f"{name}.log",
                        [*argv, "--config", str(config), "run"] if argv else None)

    async def kill(self, platform: Platform) -> None:
        """kill -9 of `platform`; if it was the last one up, an outage begins."""
        await platform.kill()
        if not any(p.running for p in self.platforms):
            self.outages.append((time.time(), float("inf")))

    async def restart(self, platform: Platform) -> None:
        """Start `platform` again (same ports, same store); agents whose state died with a
        memory store log in again, as they would from their consoles."""
        await platform.start()
        if self.outages and self.outages[-1][1] == float("inf"):
            self.outages[-1] = (self.outages[-1][0], time.time())
        if self.redis is None:
            await self.consoles.log_in_agents(platform.base)


Fault = Callable[[Rig], Awaitable[None]]


@contextlib.asynccontextmanager
async def drill_rig(tmp: Path, traffic: Traffic, *, redis: bool, prompts: Path,
                    crm: Path, platform_argv: Sequence[str] | None = None,
                    flow: str = FLOW, queues: str = QUEUES_YAML, processes: int = 1,
                    redis_fsync: str = "always", log_level: str | None = None,
                    sentinel: bool = False) -> AsyncIterator[Rig]:
    """The simulator, `processes` platforms (the simulator's AGI calls go to each in turn),
    and the agents logged in to the first one's console, their pages watching every one;
    everything started here is stopped here. With `sentinel`, Redis is a primary, a replica
    and a sentinel, and the platforms find the primary through the sentinel."""
    (tmp / "flows").mkdir()
    (tmp / "flows" / "main.yaml").write_text(flow)
    (tmp / "flows" / "queues.yaml").write_text(queues)
    shutil.copyfile(crm, tmp / "crm.db")
    agi_ports = [free_port() for _ in range(processes)]
    agents = agent_names(traffic.agents)
    server = Redis(tmp, redis_fsync) if redis or sentinel else None
    stores = [server] if server else []
    if server and sentinel:
        stores += [Redis(tmp, redis_fsync, "replica", replica_of=server.port),
                   Sentinel(tmp, server)]
    sim = Simulator(tmp, agi_ports, agents, traffic.talk_seconds)
    rig = Rig(tmp, sim, [], Consoles("", agents), traffic, server,
              f"sqlite:///{tmp / 'crm.db'}", prompts,
              sentinel=stores[-1] if sentinel else None)  # type: ignore[arg-type]
    if log_level:
        rig.log_level = log_level
    try:
        for store in stores:
            await store.start()
        if rig.sentinel is not None:
            await rig.sentinel.ready()
        await sim.start()
        for i, agi_port in enumerate(agi_ports):
            platform = rig.new_platform(f"platform-{'abcdefgh'[i]}", agi_port=agi_port,
                                        argv=platform_argv)
            rig.platforms.append(platform)
            await platform.start()
        first = rig.platforms[0]
        rig.consoles = Consoles(first.base, agents)
        await rig.consoles.open(json.loads((crm.parent / "sessions.json").read_text()))
        for other in rig.platforms[1:]:
            rig.consoles.watch(other.base)
        yield rig
    finally:
        await rig.consoles.close()
        for process in [*reversed(rig.platforms), sim, *reversed(stores)]:
            await process.stop()


async def run_drill(name: str, fault: Fault, tmp: Path, traffic: Traffic, *, redis: bool,
                    prompts: Path, crm: Path, platform_argv: Sequence[str] | None = None,
                    evidence: str = "", times: int = 1, sentinel: bool = False) -> Verdict:
    """Traffic and `fault` at once, then the calls drain; the verdict. `evidence`: a
    regex the platforms' logs hold at least `times` times if the fault reached them."""
    started = time.monotonic()
    async with drill_rig(tmp, traffic, redis=redis, prompts=prompts, crm=crm,
                         platform_argv=platform_argv, sentinel=sentinel) as rig:
        await rig.sim.place(traffic.callers(), traffic.seconds)
        await asyncio.gather(fault(rig), asyncio.sleep(traffic.seconds))
        record = await drained(rig)
        live = next(p for p in reversed(rig.platforms) if p.running)
        states = await settled_agents(rig, live)
        rows = await closed_rows(rig, record)
        verdict = judge(Verdict(name), record, rows, states, rig.consoles, rig.outages)
    logs = "".join(p.log.read_text(errors="replace") for p in {p.log: p for p in
                                                               rig.platforms}.values())
    verdict.fault_seen = len(re.findall(evidence, logs)) >= times if evidence else True
    verdict.seconds = time.monotonic() - started
    return verdict


async def drained(rig: Rig) -> dict:
    """The simulator's record once every call has ended (or the drain time is up)."""
    deadline = time.monotonic() + rig.traffic.drain_seconds
    while True:
        record = await rig.sim.record()
        if (not record["placing"] and all(c["outcome"] for c in record["calls"])) \
                or time.monotonic() > deadline:
            return record
        await asyncio.sleep(0.2)


async def settled_agents(rig: Rig, platform: Platform,
                         within: float = 8.0) -> dict[str, tuple[str, str]]:
    """The agents' states once all are available again (or `within` is up: a take-over's
    wrap-up, of a call whose queue is unknown, lasts the platform's default 5 s)."""
    deadline = time.monotonic() + within
    while True:
        states = await rig.consoles.agent_states(platform.base)
        if states and all(state == "available" for state, _ in states.values()):
            return states
        if time.monotonic() > deadline:
            return states or {name: ("unknown", "the wallboard never answered")
                              for name in rig.consoles.names}
        await asyncio.sleep(0.2)


async def closed_rows(rig: Rig, record: dict,
                      within: float = 5.0) -> dict[str, tuple[str, str | None]]:
    """The CRM's rows once every queued call's row is closed (or `within` is up)."""
    deadline = time.monotonic() + within
    queued = {c["uniqueid"] for c in record["calls"] if c["outcome"] in QUEUED}
    while True:
        rows = await asyncio.to_thread(interaction_rows, rig.db_url)
        if all(rows.get(call, ("",))[0] == "ended" for call in queued) \
                or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.2)
