"""`contactcenter flows ...`: check flows, walk one with scripted input (no PBX), run the
admins' flow tests, print the flows' JSON Schema, and ask a running platform to reload."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
from pathlib import Path

from contactcenter.config import Config
from contactcenter.crm.database import Database
from contactcenter.ivr.crm_lookup import crm_find
from contactcenter.ivr.dryrun import Hear, Recording, describe_end, dry_run, fixture_crm
from contactcenter.ivr.flowschema import schema_text
from contactcenter.ivr.flowtest import load_customers, load_tests, run_test
from contactcenter.ivr.interpreter import Ask, CallInfo
from contactcenter.ivr.runtime import (
    FlowRegistry,
    flow_files,
    known_flows,
    known_queues,
    read_flow,
)
from contactcenter.speech.audio import read_pcm
from contactcenter.speech.recognizer import Recognition, RecognizerError, open_recognizer, recognize


def add_parser(sub: argparse._SubParsersAction) -> None:
    flows = sub.add_parser("flows", help="check and simulate IVR flows")
    commands = flows.add_subparsers(dest="flows_command", required=True)
    check = commands.add_parser("check", help="validate flow files; errors as file:line:column")
    check.add_argument("paths", nargs="*", help="flow files or directories (default: [flows])")
    check.set_defaults(handler=check_command)
    simulate = commands.add_parser("simulate", help="walk a flow with scripted input, no PBX")
    simulate.add_argument("flow", help="flow name")
    simulate.add_argument("--caller", default="+14155550123", help="caller number")
    simulate.add_argument("--input", action="append", dest="answers", default=[],
                          help="the caller's answer to the next prompt: keys (1001#), "
                          "words they say (billing), or '' for silence")
    simulate.add_argument("--say", action="append", dest="answers", type=Recognition,
                          help="words the caller says to the next prompt (\"pay my bill\")")
    simulate.add_argument("--audio", action="append", dest="answers",
                          type=lambda path: Recording(Path(path)),
                          help="a recording (8 kHz mono WAV) of the caller's answer to the "
                          "next prompt: the configured recogniser ([speech] engine) hears it")
    found = simulate.add_mutually_exclusive_group()
    found.add_argument("--customers", help="YAML file whose `customers:` lookups find "
                       "(a flow test file will do); default: nobody is found")
    found.add_argument("--crm", action="store_true",
                       help="look customers up in the configured CRM database ([database] url)")
    simulate.set_defaults(handler=simulate_command)
    test = commands.add_parser("test", help="run flow tests; failures as file:line:column")
    test.add_argument("paths", nargs="*",
                      help="test files or directories (default: the flows' tests/ folder)")
    test.add_argument("--flows", help="the flows directory (default: the configured one)")
    test.set_defaults(handler=test_command)
    schema = commands.add_parser("schema", help="print the flows' JSON Schema (for editors) "
                                 "as flows/flow.schema.json should hold it")
    schema.set_defaults(handler=schema_command)
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


def schema_command(args: argparse.Namespace, config: Config) -> int:
    print(schema_text(), end="")
    return 0


def check_command(args: argparse.Namespace, config: Config) -> int:
    paths = [Path(p) for p in args.paths] or [Path(config.flows.directory)]
    errors: list[str] = []
    checked = 0
    for path in paths:
        files = flow_files(path) if path.is_dir() else [path]
        directory = path if path.is_dir() else path.parent  # a lone file: its siblings'
        queues = known_queues(directory, errors)
        siblings = known_flows(directory)
        for file in files:
            checked += 1
            errors += read_flow(file, queues, siblings)[1]
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
    customers, errors = load_customers(args.customers) if args.customers else ([], [])
    if errors:
        print("\n".join(str(e) for e in errors))
        return 1
    with contextlib.ExitStack() as stack:
        find = fixture_crm(customers)
        if args.crm:
            db = Database.open(config.database.url)
            stack.callback(db.close)
            find = crm_find(db)
        answers = args.answers
        hear = file_hearer(config) if any(isinstance(a, Recording) for a in answers) else None
        result = dry_run(flow, CallInfo(uniqueid="simulated", caller_num=args.caller),
                         answers, find=find, flows=registry.flows, hear=hear,
                         min_confidence=config.speech.min_confidence)
    print("\n".join(result.transcript))
    print(f"path: {' > '.join(result.path)}")
    print(f"ends: {describe_end(result.finish)}")
    return 0


def file_hearer(config: Config) -> Hear:
    """The configured recogniser on a recording, with the question's grammar (or free for
    an open question); a recogniser that cannot load is a ContactCenterError (exit 2)."""
    recognizer = open_recognizer(config.speech.engine, vosk_model=config.speech.vosk_model,
                                 n_best=config.speech.n_best)
    if recognizer is None:
        raise RecognizerError("speech recognition is off ([speech] engine = none)")

    def hear(ask: Ask, path: Path) -> Recognition:
        return recognize(recognizer, read_pcm(path), ask.phrases,
                         free=ask.free or not ask.phrases)
    return hear


def test_command(args: argparse.Namespace, config: Config) -> int:
    directory = Path(args.flows or config.flows.directory)
    registry = FlowRegistry(directory)
    errors = registry.reload()  # a broken flow is reported, and its tests fail
    paths = [Path(p) for p in args.paths] or [directory / "tests"]
    files = [f for p in paths for f in (sorted(p.glob("*.yaml")) if p.is_dir() else [p])]
    count = 0
    hear: list[Hear] = []  # loaded for the first test that gives audio
    for file in files:
        tests, problems = load_tests(file)
        errors += [str(e) for e in problems]
        count += len(tests)
        for test in tests:
            if not hear and any(isinstance(a, Recording) for a in test.inputs):
                hear.append(file_hearer(config))
            errors += [str(e) for e in run_test(test, registry.flows,
                                                hear=hear[0] if hear else None,
                                                min_confidence=config.speech.min_confidence)]
    for error in errors:
        print(error)
    print(f"{count} flow test(s) in {len(files)} file(s), {len(errors)} failure(s)")
    return 1 if errors or not count else 0
