"""The simulator as its own process (`contactcenter sim`, `python -m contactcenter.sim`), so
the platform can be killed while callers wait, as with Asterisk, and faults are injected
from outside. A small control API (HTTP on loopback, JSON) places traffic, reads the
simulator's record and cuts, freezes or refuses its AMI link:

    GET  /record                  stats, calls and their outcomes, callers in music on hold,
                                  phones rung while busy, live channels, the AMI link
    POST /calls                   {"callers": [caller, ...], "seconds": s[, "rate": r]}
    PUT  /agents                  {"SIP/agent101": {"answer_after": 0.2, "talk_seconds": 3}}
    POST /ami/cut                 reset every AMI connection
    POST /ami/freeze              {"seconds": s}: read and write nothing on AMI for s
    POST /ami/refuse              {"seconds": s}: reset and refuse AMI connections for s

A caller is an object with ScriptedCaller's fields (number, name, dnis, answers: keys or
null, patience, hangup_after_commands, think_seconds, talk_seconds). `/calls` places them
spread evenly over `seconds`, or as Poisson arrivals at `rate` per second cycling through
them, and answers at once (202); `/record`'s `placing` says how many batches still place.
Bad input is refused with 400 and a message; nothing is placed then.

When up, the process prints one JSON line on stdout: {"ami_port", "control_port",
"agi_port", "pid"}; SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from contactcenter.config import Config, load_config
from contactcenter.errors import ConfigError
from contactcenter.logs import configure_logging
from contactcenter.sim.scenario import ScriptedAgent, ScriptedCaller
from contactcenter.sim.simulator import PbxSimulator, SimCall

log = logging.getLogger(__name__)

SIMULATOR: web.AppKey[PbxSimulator] = web.AppKey("simulator", PbxSimulator)
TRAFFIC: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("traffic", set)
ANNOUNCE = {"cc-announce": "announce"}  # extensions.conf's [cc-announce] runs this flow
FAULTS: dict[str, Callable[[PbxSimulator, float], None]] = {
    "cut": lambda sim, _seconds: sim.ami.cut(),
    "freeze": lambda sim, seconds: sim.ami.freeze(seconds),
    "refuse": lambda sim, seconds: sim.ami.refuse(seconds),
}
CALLER_FIELDS = {f.name: f for f in dataclasses.fields(ScriptedCaller)}


class BadInput(ValueError):
    """A request the API refuses (400), with what is wrong."""


def _number(value: object, where: str, *, optional: bool = True) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise BadInput(f"{where}: expected a number >= 0, got {value!r}")
    return float(value)


def caller_from(data: object, where: str) -> ScriptedCaller:
    """A ScriptedCaller from its JSON object (keys it does not know are refused)."""
    if not isinstance(data, dict):
        raise BadInput(f"{where}: expected an object")
    unknown = set(data) - set(CALLER_FIELDS)
    if unknown:
        raise BadInput(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("number", "name", "dnis"):
            if not isinstance(value, str):
                raise BadInput(f"{where}.{key}: expected a string")
            values[key] = value
        elif key == "answers":
            if not isinstance(value, list) or not all(a is None or isinstance(a, str)
                                                      for a in value):
                raise BadInput(f"{where}.answers: expected a list of keys (strings) or null")
            values[key] = tuple(value)
        elif key == "hangup_after_commands":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise BadInput(f"{where}.{key}: expected an integer or null")
            values[key] = value
        else:
            number = _number(value, f"{where}.{key}", optional=key != "think_seconds")
            values[key] = number
    return ScriptedCaller(**values)


def agent_from(data: object, where: str) -> ScriptedAgent:
    if not isinstance(data, dict) or set(data) - {"answer_after", "talk_seconds"}:
        raise BadInput(f"{where}: expected {{\"answer_after\": s|null, \"talk_seconds\": s|null}}")
    return ScriptedAgent(answer_after=_number(data.get("answer_after", 0.2), where),
                         talk_seconds=_number(data.get("talk_seconds", 5.0), where))


def call_record(call: SimCall) -> dict[str, object]:
    return {"uniqueid": call.uniqueid, "channel": call.channel,
            "number": call.caller.number, "phase": call.phase,
            "outcome": call.outcome.value if call.outcome else None,
            "answered": call.answered, "overflowed_to": call.overflowed_to,
            "offered_to": list(call.offered_to), "bridged_to": list(call.bridged_to),
            "started_at": call.started_at, "ended_at": call.ended_at,
            "parked_at": call.parked_at}


def record(sim: PbxSimulator, placing: int) -> dict[str, object]:
    """Everything a drill judges the platform by: the simulator is the truth."""
    stats = sim.stats
    return {
        "stats": stats.as_dict(),
        "calls": [call_record(call) for call in sim.calls],
        "waiting_in_moh": [call.uniqueid for call in sim.waiting_in_moh()],
        "double_offers": stats.double_offers,
        "double_offered": list(sim.double_offered),
        "busy_rings": [{"device": device, "caller": caller}
                       for device, caller in sim.busy_rings],
        "channels": [dataclasses.asdict(view) for view in sim.channels.values()],
        "placing": placing,
        "ami": {"port": sim.ami_port, "sessions": sim.ami.sessions, "frozen": sim.ami.frozen,
                "refusing": sim.ami.refusing},
    }


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as exc:
        raise BadInput(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadInput("expected a JSON object")
    return body


@web.middleware
async def _errors(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadInput as exc:
        return web.json_response({"error": str(exc)}, status=400)


async def _record(request: web.Request) -> web.StreamResponse:
    placing = sum(not task.done() for task in request.app[TRAFFIC])
    return web.json_response(record(request.app[SIMULATOR], placing))


async def _calls(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    raw = body.get("callers")
    if not isinstance(raw, list) or not raw:
        raise BadInput("callers: expected a non-empty list of callers")
    callers = [caller_from(item, f"callers[{i}]") for i, item in enumerate(raw)]
    seconds = _number(body.get("seconds", 0.0), "seconds", optional=False)
    rate = _number(body.get("rate"), "rate")
    if rate == 0:
        raise BadInput("rate: expected a number > 0")
    sim = request.app[SIMULATOR]
    traffic = asyncio.create_task(sim.run_traffic(callers, rate=rate, seconds=seconds or 0.0))
    tasks = request.app[TRAFFIC]
    tasks.add(traffic)
    traffic.add_done_callback(_traffic_done)
    return web.json_response({"callers": len(callers), "seconds": seconds, "rate": rate},
                             status=202)


def _traffic_done(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("traffic failed", exc_info=task.exception())


async def _agents(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    scripts = {device: agent_from(data, device) for device, data in body.items()}
    for device, script in scripts.items():
        request.app[SIMULATOR].set_agent(device, script)
    return web.json_response({"agents": sorted(scripts)})


async def _fault(request: web.Request) -> web.StreamResponse:
    fault = request.match_info["fault"]
    seconds = _number((await _json(request)).get("seconds", 0.0), "seconds", optional=False)
    FAULTS[fault](request.app[SIMULATOR], seconds or 0.0)
    log.warning("AMI link: %s for %.1f s", fault, seconds)
    return web.json_response({"fault": fault, "seconds": seconds})


def create_control_app(sim: PbxSimulator) -> web.Application:
    app = web.Application(middlewares=[_errors])
    app[SIMULATOR] = sim
    app[TRAFFIC] = set()
    app.router.add_get("/record", _record)
    app.router.add_post("/calls", _calls)
    app.router.add_put("/agents", _agents)
    app.router.add_post("/ami/{fault:cut|freeze|refuse}", _fault)
    app.on_cleanup.append(_stop_traffic)
    return app


async def _stop_traffic(app: web.Application) -> None:
    for task in app[TRAFFIC]:
        task.cancel()
    await asyncio.gather(*app[TRAFFIC], return_exceptions=True)


# -- the command ------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ami-port", type=int, default=None,
                        help="AMI port (default: [ami] port of the configuration)")
    parser.add_argument("--control-port", type=int, default=0,
                        help="control API port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--agi-host", default=None, help="the platform's FastAGI host")
    parser.add_argument("--agi-port", type=int, action="append", default=[],
                        help="the platform's FastAGI port; repeat for several platform "
                             "processes: calls go to each in turn (round-robin)")
    parser.add_argument("--agent", action="append", default=[], metavar="DEVICE",
                        help="a phone that answers (e.g. SIP/agent101); repeat for more")
    parser.add_argument("--answer-after", type=float, default=0.2,
                        help="seconds the --agent phones ring before answering")
    parser.add_argument("--talk-seconds", type=float, default=5.0,
                        help="seconds the --agent phones talk before hanging up")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the traffic")
    parser.add_argument("--chaos", type=int, default=None, metavar="SEED",
                        help="deliver AMI events in a seeded random order, as a loaded Asterisk")


def add_parser(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser("sim", help="the PBX simulator in its own process, with a control API")
    add_arguments(sim)
    sim.set_defaults(handler=sim_command)


def sim_command(args: argparse.Namespace, config: Config) -> int:
    asyncio.run(serve(args, config))
    return 0


def simulator_for(args: argparse.Namespace, config: Config) -> PbxSimulator:
    agent = ScriptedAgent(answer_after=args.answer_after, talk_seconds=args.talk_seconds)
    agi_port, *agi_ports = args.agi_port or [config.agi.port]
    return PbxSimulator(
        username=config.ami.username, secret=config.ami.secret,
        agi_host=args.agi_host or config.agi.host, agi_port=agi_port, agi_ports=agi_ports,
        agents=dict.fromkeys(args.agent, agent), agi_contexts=ANNOUNCE,
        ami_port=config.ami.port if args.ami_port is None else args.ami_port,
        seed=args.seed, chaos=args.chaos)


async def serve(args: argparse.Namespace, config: Config) -> None:
    """The simulator and its control API until SIGTERM or SIGINT."""
    async with simulator_for(args, config) as sim:
        runner = web.AppRunner(create_control_app(sim))
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", args.control_port)
            await site.start()
            control_port = runner.addresses[0][1]
            print(json.dumps({"ami_port": sim.ami_port, "control_port": control_port,
                              "agi_port": (args.agi_port or [config.agi.port])[0],
                              "pid": os.getpid()}), flush=True)
            log.info("simulator up: AMI 127.0.0.1:%s, control http://127.0.0.1:%s/",
                     sim.ami_port, control_port)
            await _until_stopped()
        finally:
            await runner.cleanup()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def main(argv: list[str] | None = None,
         env: Mapping[str, str] | None = None) -> int:
    """`python -m contactcenter.sim [--config FILE] ...`: the same as `contactcenter sim`."""
    parser = argparse.ArgumentParser(prog="python -m contactcenter.sim",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML configuration file ([ami], [agi], [log])")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, env)
    except ConfigError as exc:
        parser.error(str(exc))
    configure_logging(config.log.level, config.log.format)
    with contextlib.suppress(KeyboardInterrupt):
        return sim_command(args, config)
    return 130
