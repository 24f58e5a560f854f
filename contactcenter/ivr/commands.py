"""`contactcenter flows ...`: check flows, and walk one with scripted input (no PBX)."""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path

from contactcenter.config import Config
from contactcenter.ivr.flow import FlowErrors, load_flow
from contactcenter.ivr.interpreter import Ask, CallInfo, Exec, Finish, FlowRun, Play, SetVariable
from contactcenter.ivr.runtime import FlowRegistry, flow_files, known_queues


def add_parser(sub: argparse._SubParsersAction) -> None:
    flows = sub.add_parser("flows", help="check and simulate IVR flows")
    commands = flows.add_subparsers(dest="flows_command", required=True)
    check = commands.add_parser("check", help="validate flow files; errors as file:line:column")
    check.add_argument("paths", nargs="*", help="flow files or directories (default: [flows])")
    check.set_defaults(handler=check_command)
    simulate = commands.add_parser("simulate", help="walk a flow with scripted input, no PBX")
    simulate.add_argument("flow", help="flow name")
    simulate.add_argument("--caller", default="+14155550123", help="caller number")
    simulate.add_argument("--input", action="append", default=[],
                          help="keys the caller presses at the next prompt ('' for silence)")
    simulate.set_defaults(handler=simulate_command)
    reload = commands.add_parser("reload", help="tell a running platform to reload its flows")
    reload.add_argument("--pid", type=int, required=True, help="the platform's process id")
    reload.set_defaults(handler=reload_command)


def reload_command(args: argparse.Namespace, config: Config) -> int:
    try:
        os.kill(args.pid, signal.SIGHUP)
    except OSError as exc:
        print(f"cannot signal process {args.pid}: {exc.strerror}")
        return 1
    print(f"asked process {args.pid} to reload its flows")
    return 0


def check_command(args: argparse.Namespace, config: Config) -> int:
    paths = [Path(p) for p in args.paths] or [Path(config.flows.directory)]
    errors: list[str] = []
    checked = 0
    for path in paths:
        files = flow_files(path) if path.is_dir() else [path]
        queues = known_queues(path if path.is_dir() else path.parent, errors)
        for file in files:
            checked += 1
            try:
                load_flow(file, queues)
            except FlowErrors as exc:
                errors += [str(e) for e in exc.errors]
            except OSError as exc:
                errors.append(f"{file}:0:0: {exc.strerror}")
    for error in errors:
        print(error)
    print(f"{checked} flow file(s), {len(errors)} error(s)")
    return 1 if errors or not checked else 0


def simulate_command(args: argparse.Namespace, config: Config) -> int:
    registry = FlowRegistry(config.flows.directory)
    for line in registry.reload():
        print(line)
    flow = registry.flows.get(args.flow)
    if flow is None:
        print(f"no flow named {args.flow!r} in {config.flows.directory}")
        return 1
    run = FlowRun(flow, CallInfo(uniqueid="simulated", caller_num=args.caller))
    inputs = list(args.input)
    action = run.start()
    while not isinstance(action, Finish):
        step = run.last_step
        if isinstance(action, Ask):
            answer = inputs.pop(0) if inputs else None
            print(f"[{step}] asks: {action.text}")
            print(f"[{step}]   caller: {answer if answer else '(nothing)'}")
            action = run.resume(answer or None)
            continue
        if isinstance(action, Play):
            print(f"[{step}] {'says' if action.kind == 'say' else 'plays'}: {action.text}")
        elif isinstance(action, SetVariable):
            print(f"[{step}] sets {action.name}={action.value}")
        elif isinstance(action, Exec):
            print(f"[{step}] runs {action.app}({action.data})")
        action = run.resume(True)
    where = {"queued": f" in queue {action.queue}", "transferred": f" to {action.target}"}
    print(f"path: {' > '.join(run.path)}")
    print(f"ends: {action.outcome}{where.get(action.outcome, '')} at step {action.step}")
    return 0
