"""The drills of issue 10: each a fault injected from outside while traffic flows
(harness.run_drill places the traffic and judges). Times scale with the traffic's length,
so bench/drills.py runs the same drills at size."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from tests.faults.harness import Fault, Rig

FAILING_STORE = (sys.executable, "-m", "tests.faults.failing_store")


async def _into_traffic(rig: Rig, share: float) -> None:
    await asyncio.sleep(rig.traffic.seconds * share)


async def _set_talk(rig: Rig, seconds: float) -> None:
    """From now on, answered calls last `seconds`."""
    await rig.sim.call("PUT", "/agents", {
        f"SIP/{agent}": {"answer_after": 0.2, "talk_seconds": seconds}
        for agent in rig.consoles.names})


async def _calls_outlast_the_outage(rig: Rig, seconds: float) -> None:
    """Calls answered from now on last `seconds` (past the outage to come); returns once
    those answered before have ended. A call answered and over while the platform cannot
    hear Asterisk (no process runs, or its AMI link is down) leaves no trace the platform
    could read afterwards (it is recorded abandoned); in production a call outlasts a
    restart or a relink by far."""
    await _set_talk(rig, seconds)
    await asyncio.sleep(rig.traffic.talk_seconds + 0.5)


async def nothing(rig: Rig) -> None:
    """The store's faults come from inside the platform (FAILING_STORE)."""


async def redis_restarted(rig: Rig) -> None:
    """redis-server shut down and started again at once, its data kept (append-only file)."""
    assert rig.redis is not None
    await _into_traffic(rig, 0.4)
    await rig.redis.stop()
    await rig.redis.start()


async def redis_stopped(rig: Rig) -> None:
    assert rig.redis is not None
    await _into_traffic(rig, 0.3)
    await rig.redis.stop()
    await asyncio.sleep(3.0)
    await rig.redis.start()


async def redis_frozen(rig: Rig) -> None:
    """SIGSTOP: connections stay open, nothing answers, past the client's 2 s timeout and
    its retries."""
    assert rig.redis is not None
    await _into_traffic(rig, 0.3)
    await rig.redis.freeze(9.0)


async def sentinel_failover(rig: Rig) -> None:
    """kill -9 of the Redis primary mid-traffic: the sentinel sees it down after 1 s and
    promotes the replica; the platform asks the sentinel where the primary is now. (A
    SENTINEL FAILOVER would leave the old primary taking writes until the sentinel next
    reconfigures it, seconds later: it would not show that the platform follows.)"""
    assert rig.sentinel is not None and rig.redis is not None
    await _into_traffic(rig, 0.3)
    await rig.redis.kill()
    for _ in range(150):
        if await rig.sentinel.primary_port() != rig.redis.port:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the sentinel never named a new primary")


async def ami_reset(rig: Rig) -> None:
    """The AMI connection reset twice (the platform relinks within its backoff)."""
    for share in (0.3, 0.3):
        await _into_traffic(rig, share)
        await rig.sim.ami_fault("cut")


async def ami_frozen(rig: Rig) -> None:
    """Asterisk's manager reads and writes nothing for 8 s, then everything at once."""
    await _into_traffic(rig, 0.3)
    await rig.sim.ami_fault("freeze", 8.0)
    await asyncio.sleep(8.0)


async def ami_refused(rig: Rig) -> None:
    """The AMI connection reset and refused for 5 s (calls answered meanwhile outlast it)."""
    await _into_traffic(rig, 0.2)
    await _calls_outlast_the_outage(rig, 7.0)
    await rig.sim.ami_fault("refuse", 5.0)
    await asyncio.sleep(5.0)
    await _set_talk(rig, rig.traffic.talk_seconds)


async def killed(rig: Rig) -> None:
    """kill -9 of the platform while callers wait and talk; a new one starts 1 s later."""
    await _into_traffic(rig, 0.2)
    platform = rig.platforms[0]
    await _calls_outlast_the_outage(rig, 8.0)
    await rig.kill(platform)
    await asyncio.sleep(1.0)
    await rig.restart(platform)
    await _set_talk(rig, rig.traffic.talk_seconds)


async def two_processes(rig: Rig) -> None:
    """A second process joins live on the same Redis; then the first is killed (its agents
    and offers are the second's once its lease ends)."""
    await _into_traffic(rig, 0.2)
    second = rig.new_platform("platform-b")
    rig.platforms.append(second)
    await second.start()
    rig.consoles.watch(second.base)  # each agent's page on both consoles
    await _into_traffic(rig, 0.3)
    await _calls_outlast_the_outage(rig, 6.0)  # the first process's lease is 3 s
    await rig.kill(rig.platforms[0])
    await asyncio.sleep(4.0)
    await _set_talk(rig, rig.traffic.talk_seconds)


async def websocket_drops(rig: Rig) -> None:
    """Every agent's websocket dies every 0.4 s while pops are sent (the pages reconnect)."""
    for _ in range(int(rig.traffic.seconds / 0.4)):
        await asyncio.sleep(0.4)
        rig.consoles.drop_sockets()


@dataclass(frozen=True)
class Drill:
    """A fault and where its effect shows: `evidence` (a regex) found at least `times`
    times in the platforms' logs proves the fault reached them ("": nothing to look for,
    a restart of Redis may be hidden by the client's retries)."""

    name: str
    fault: Fault
    redis: bool = False
    platform_argv: Sequence[str] | None = None
    evidence: str = ""
    times: int = 1
    sentinel: bool = False  # Redis is a primary, a replica and a sentinel


REDIS_FAILED = r"Redis \w+ failed"
LINK_LOST = r"AMI link to \S+ lost"
DRILLS = (
    Drill("store fails every 25th command", nothing, platform_argv=(*FAILING_STORE, "25"),
          evidence="injected: ", times=2),
    Drill("redis restarted (data kept)", redis_restarted, redis=True),
    Drill("redis stopped 3 s", redis_stopped, redis=True, evidence=REDIS_FAILED),
    Drill("redis frozen 9 s", redis_frozen, redis=True, evidence=REDIS_FAILED),
    Drill("redis primary killed, sentinel fails over", sentinel_failover, sentinel=True,
          evidence=REDIS_FAILED),
    Drill("AMI reset x2", ami_reset, evidence=LINK_LOST, times=2),
    Drill("AMI frozen 8 s", ami_frozen, evidence=r"no reply in \d+ s"),
    Drill("AMI refused 5 s", ami_refused, evidence=r"AMI reconnect to \S+ failed"),
    Drill("kill -9, memory store", killed, evidence="platform up", times=2),
    Drill("kill -9, redis store", killed, redis=True, evidence="platform up", times=2),
    Drill("two processes: one joins, one killed", two_processes, redis=True,
          evidence="platform up", times=2),
    Drill("websocket drops during pops", websocket_drops,
          evidence=r'"GET /ws HTTP/1.1" 101', times=20),
)
