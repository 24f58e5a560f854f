"""`contactcenter demo`: the PBX simulator, the platform and the console with embedded
defaults (SQLite, memory store), demo customers and agents, callers arriving continuously.

`--headless --seconds N --json` runs the same traffic for N seconds and prints one JSON
object; `lost` counts calls the platform lost track of (the simulator is the truth).
`--chaos SEED` runs the simulator in its interleaving mode: AMI events of different channels
in a seeded random order, with a real Asterisk's noise mixed in (contactcenter/sim/).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import assert_never

from contactcenter.acd.announcer import ANNOUNCE_CONTEXT, ANNOUNCE_FLOW
from contactcenter.acd.events import CallEnded, CallQueued
from contactcenter.app import open_platform, wait_for_stop_signal
from contactcenter.config import Config
from contactcenter.crm.database import Database
from contactcenter.crm.seed import demo_password, seed
from contactcenter.cti.events import CallArrived, CallHungUp
from contactcenter.events import BusConsumer, EventBus
from contactcenter.sim import PbxSimulator, ScriptedAgent, ScriptedCaller, SimCall
from contactcenter.sim.stats import CallOutcome

QUEUED_OUTCOMES = (CallOutcome.ANSWERED, CallOutcome.ABANDONED, CallOutcome.CLEARED,
                   CallOutcome.OVERFLOWED)

log = logging.getLogger(__name__)

DEMO_DATABASE = "sqlite:///var/demo.db"  # never the production default: demo passwords
DEMO_AGENTS = ("agent101", "agent102", "agent103")
HUMAN_AGENT = "agent101"  # with the console, a person takes this agent's calls
DEMO_LOGINS = (*DEMO_AGENTS, "resolver1", "resolver2", "supervisor", "admin")
KNOWN_CALLERS = (("+14155550123", "Ada Lovelace"), ("+442071838750", "Grace Hopper"))
TRANSFER_DESK = "+15550100"  # a number that answers the console's transfers and dials
SETTLE_SECONDS = 1.0  # after traffic stops: time for the last events to cross the AMI link


def add_parser(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="simulated PBX, platform and console with demo data")
    demo.add_argument("--headless", action="store_true", help="no console; logs only")
    demo.add_argument("--seconds", type=float, default=0.0, help="stop after N seconds (0: Ctrl-C)")
    demo.add_argument("--json", action="store_true", help="print one JSON summary at the end")
    demo.add_argument("--rate", type=float, default=0.5, help="caller arrivals per second")
    demo.add_argument("--seed", type=int, default=None, help="random seed for repeatable traffic")
    demo.add_argument("--chaos", type=int, default=None, metavar="SEED",
                      help="deliver the simulator's AMI events in a seeded random order that "
                           "keeps each channel's, with noise, as a real Asterisk under load")
    demo.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace, config: Config) -> int:
    summary = asyncio.run(run_demo(config, headless=args.headless, seconds=args.seconds,
                                   rate=args.rate, seed=args.seed, chaos=args.chaos))
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    return 0


class CallLedger:
    """What the platform saw of each call (by Uniqueid), to compare with the simulator."""

    def __init__(self) -> None:
        self.arrived: set[str] = set()
        self.hung_up: set[str] = set()
        self.queued: set[str] = set()
        self.closed: set[str] = set()

    async def feed(self, event: CallArrived | CallHungUp | CallQueued | CallEnded) -> None:
        match event:
            case CallArrived():
                self.arrived.add(event.uniqueid)
            case CallHungUp():
                self.hung_up.add(event.uniqueid)
            case CallQueued():
                self.queued.add(event.call_id)
            case CallEnded():
                self.closed.add(event.call_id)
            case _:
                assert_never(event)

    def lost(self, calls: Sequence[SimCall], live: set[str]) -> list[str]:
        """Calls the platform lost track of: never seen arriving, ended unnoticed, alive in
        the PBX but missing from the call model (`live`), parked but never queued by the
        ACD, or gone from the queue without the ACD closing them."""
        lost = []
        for call in calls:
            ended = call.ended.is_set()
            reached_queue = call.outcome in QUEUED_OUTCOMES or call.phase in ("waiting",
                                                                              "talking")
            if (call.uniqueid not in self.arrived
                    or (ended and call.uniqueid not in self.hung_up)
                    or (not ended and call.uniqueid not in live)
                    or (reached_queue and call.uniqueid not in self.queued)
                    or (ended and reached_queue and call.uniqueid not in self.closed)):
                lost.append(call.uniqueid)
        return lost


def demo_caller(rng: random.Random) -> ScriptedCaller:
    """A known customer two times in three, else an unknown number; some lose patience."""
    if rng.random() < 2 / 3:
        number, name = rng.choice(KNOWN_CALLERS)
    else:
        number, name = f"+1415555{rng.randrange(1000, 9999)}", "Unknown"
    queue = rng.choice("123")  # billing (1) asks for an account number
    return ScriptedCaller(number=number, name=name, dnis="5000",
                          answers=(queue, "1001") if queue == "1" else (queue,),
                          patience=rng.choice((None, 8.0, 20.0)))


async def run_demo(config: Config, *, headless: bool, seconds: float, rate: float,
                   seed: int | None = None, chaos: int | None = None) -> dict[str, int]:
    rng = random.Random(seed)
    secret = secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="cc-demo-") as tmp:
        # its own database: the demo's users and published passwords never land in the
        # database `contactcenter run` uses; a fresh one per headless run keeps the counts
        # comparable
        url = f"sqlite:///{Path(tmp) / 'demo.db'}" if headless else DEMO_DATABASE
        config = dataclasses.replace(config, database=dataclasses.replace(config.database,
                                                                          url=url))
        robots = DEMO_AGENTS if headless else tuple(a for a in DEMO_AGENTS if a != HUMAN_AGENT)
        # the human's phone auto-answers and stays up until they hang up in the console
        agents = {f"SIP/{agent}": ScriptedAgent(answer_after=rng.uniform(0.5, 2.0),
                                                talk_seconds=rng.uniform(3.0, 8.0)
                                                if agent in robots else None)
                  for agent in DEMO_AGENTS}
        # transfers, click-to-dial and callbacks reach these phones; other numbers ring out
        phones = {number: ScriptedAgent(answer_after=1.0, talk_seconds=30.0)
                  for number in (TRANSFER_DESK, *(n for n, _ in KNOWN_CALLERS))}
        async with PbxSimulator(secret=secret, agi_host=config.agi.host,
                                agi_port=config.agi.port, agents=agents, seed=seed,
                                agi_contexts={ANNOUNCE_CONTEXT: ANNOUNCE_FLOW},
                                customers=phones, chaos=chaos) as sim:
            config = dataclasses.replace(config, ami=dataclasses.replace(
                config.ami, host="127.0.0.1", port=sim.ami_port, secret=secret))
            bus = EventBus()
            ledger = CallLedger()
            await asyncio.to_thread(seed_demo_data, config.database.url)
            async with BusConsumer(bus, ledger.feed, "demo-ledger"), \
                    open_platform(config, bus=bus, console=not headless) as platform:
                for agent in robots:  # simulated agents: their phones answer by script
                    await platform.distributor.login(agent)
                if not headless:
                    print_welcome(config)
                traffic = asyncio.create_task(sim.run_traffic(
                    rate=rate, seconds=seconds or 365 * 86400,
                    make_caller=lambda _i: demo_caller(rng)))
                try:
                    if seconds:
                        await traffic
                    else:
                        await wait_for_stop_signal()
                finally:
                    traffic.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await traffic
                await asyncio.sleep(SETTLE_SECONDS)
                live = set(platform.bridge.model.channels)
                stats = sim.stats
                lost = ledger.lost(sim.calls, live)
                acd = platform.distributor.counts
        return {
            "offered": stats.offered,
            "answered": acd["answered"],
            "abandoned": acd["abandoned"],
            "overflowed": acd["overflowed"],
            "ended_in_ivr": stats.hung_up_in_ivr + stats.ended_in_ivr,
            "in_progress": stats.in_progress,
            "lost": len(lost),
            "double_offers": stats.double_offers,
        }


def seed_demo_data(url: str) -> None:
    """Demo customers and users, before the platform reads its agents from them."""
    db = Database.open(url)
    try:
        log.info("demo data: %s", seed(db))
    finally:
        db.close()


def print_welcome(config: Config) -> None:
    print(f"contactcenter demo: simulated PBX on AMI 127.0.0.1:{config.ami.port}, "
          f"FastAGI {config.agi.host}:{config.agi.port}, database {config.database.url}")
    print(f"  console: http://{config.web.host}:{config.web.port}/  (user / password)")
    for user in DEMO_LOGINS:
        print(f"  {user:<10} {demo_password(user)}")
    print(f"  {HUMAN_AGENT} is yours: log in, go available, take calls; the others are"
          " simulated. Ctrl-C stops.")
    print(f"  transfers to {TRANSFER_DESK} (and calls to the demo customers) are answered")
