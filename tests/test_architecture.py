"""The rules of docs/architecture.md, checked: a package imports only what is below it (the
table LAYERS, read from the package docstrings' "must not import"), and the pure modules
(decisions: state machines, routing, flow interpretation, metrics, reports) have no
awaits, no async functions and no I/O library. Read from the source with `ast`, so a rule
broken anywhere fails here with the file and line."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1] / "contactcenter"
BASE = {"errors", "logs", "config", "events", "backoff", "health", "yamlguard", "queue_config"}
# what each part may import besides itself, the base modules and any events module (a
# dotted name allows that module and what is inside it only)
ALLOWED: dict[str, set[str]] = {
    **{name: set() for name in BASE},
    "speech": set(),
    "crm": set(),
    "cti": set(),
    "sim": set(),
    "ivr": {"speech", "crm", "cti"},
    "acd": {"speech", "cti"},
    "queue": {"acd"},
    "complaints": {"crm", "ivr"},
    "crm_link": {"crm", "cti", "acd"},
    "reports": {"crm", "acd"},
    "prometheus": {"acd"},
    "agent_console": {"speech", "crm", "cti", "ivr", "acd", "queue", "complaints", "crm_link",
                      "reports", "prometheus"},
    "app": {"speech", "crm", "cti", "ivr", "acd", "queue", "complaints", "crm_link",
            "reports", "prometheus", "agent_console"},
    "demo": {"crm", "cti", "acd", "sim", "app"},
    "cli": {"app", "demo", "crm", "ivr", "complaints", "reports", "sim"},
    "__main__": {"cli"},
    "__init__": set(),
}
PURE = [
    "acd/agents.py", "acd/routing.py", "acd/offers.py", "acd/entry.py", "acd/recovery.py",
    "acd/metrics.py", "acd/overflow.py", "acd/parked.py", "acd/wallboard.py",
    "acd/staffing.py", "acd/agent_time.py", "acd/wait_estimate.py", "cti/calls.py", "cti/frames.py",
    "cti/callerid.py", "cti/dialing.py", "ivr/interpreter.py", "ivr/model.py",
    "ivr/hours.py", "ivr/steptypes/*.py", "speech/phrases.py", "speech/intents.py",
    "crm/complaint_workflow.py", "complaints/deadlines.py", "complaints/escalation.py",
    "complaints/mis.py", "reports/intervals.py", "health.py", "backoff.py",
]
IMPURE = {"asyncio", "socket", "aiohttp", "redis", "panoramisk", "sqlalchemy", "subprocess",
          "threading"}
VALUES = {"panoramisk.message"}  # panoramisk's Message is a plain mapping: no I/O


def part(path: Path) -> str:
    """The part of the platform a source file belongs to: its package or module name."""
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name under contactcenter) of every import of the platform's own code."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = path.relative_to(ROOT).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from .auth import y: inside the package
                base = here[:len(here) - node.level]
                module = ".".join((*base, *(node.module or "").split(".")))
                yield node.lineno, module.strip(".")
            elif node.module and node.module.startswith("contactcenter"):
                names = [f"{node.module}.{alias.name}" for alias in node.names]
                for name in names:
                    yield node.lineno, name.removeprefix("contactcenter.")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("contactcenter."):
                    yield node.lineno, alias.name.removeprefix("contactcenter.")


def allowed(source: str, target: str) -> bool:
    top = target.split(".")[0]
    if top in (source, "contactcenter") or top in BASE or is_events(target):
        return True
    return any(target == rule or target.startswith(f"{rule}.") or top == rule
               for rule in ALLOWED[source])


def is_events(target: str) -> bool:
    """A producer's events module (or a name in it): values every part may import."""
    parts = target.split(".")
    return len(parts) >= 2 and parts[1] == "events"


def sources() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def test_every_part_of_the_platform_has_its_rule() -> None:
    assert {part(path) for path in sources()} <= set(ALLOWED)


def test_packages_only_look_down() -> None:
    broken = [f"{path.relative_to(ROOT.parent)}:{line}: {part(path)} imports {target}"
              for path in sources() for line, target in imports(path)
              if not allowed(part(path), target)]
    assert broken == []


@pytest.mark.parametrize("pattern", PURE)
def test_pure_modules_have_no_awaits_and_no_io(pattern: str) -> None:
    paths = sorted(ROOT.glob(pattern))
    assert paths, pattern
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(ROOT.parent)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.AsyncFunctionDef | ast.Await | ast.AsyncFor
                                  | ast.AsyncWith), f"{where}:{node.lineno}: async"
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                for name in names:
                    assert name in VALUES or name.split(".")[0] not in IMPURE, \
                        f"{where}:{node.lineno}: {name}"


def test_events_modules_hold_values_only() -> None:
    """Every part may import a producer's events module, so one imports nothing that acts:
    the base modules, other events modules and pure modules (an enum such as AgentState)."""
    pure = {path.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
            for pattern in PURE for path in ROOT.glob(pattern)}
    modules = sorted(ROOT.glob("*/events.py"))
    assert len(modules) >= 4
    for path in modules:
        for line, target in imports(path):
            assert target.split(".")[0] in BASE or is_events(target) \
                or target.rsplit(".", 1)[0] in pure, f"{path.relative_to(ROOT.parent)}:{line}"


def test_the_pure_modules_are_type_checked_strictly() -> None:
    """mypy (scripts/test runs it) holds the pure modules to --strict's flags: the override
    in pyproject.toml names exactly the modules of PURE."""
    config = tomllib.loads((ROOT.parent / "pyproject.toml").read_text(encoding="utf-8"))
    strict = [override for override in config["tool"]["mypy"]["overrides"]
              if override.get("disallow_untyped_defs")]
    assert len(strict) == 1
    assert sorted(strict[0]["module"]) == sorted(
        "contactcenter." + pattern.removesuffix(".py").replace("/", ".") for pattern in PURE)


def test_the_rules_catch_an_upward_import(tmp_path: Path) -> None:
    """The check itself: an acd module importing the console is refused, one importing the
    call model is not."""
    assert not allowed("acd", "agent_console.app")
    assert not allowed("ivr", "acd.distributor")
    assert not allowed("acd", "ivr.runtime") and allowed("acd", "ivr.events.CallbackRequested")
    assert allowed("acd", "cti.events.CallHungUp") and allowed("queue", "acd.store")
    assert allowed("events", "crm_link.events.ScreenPop") and not allowed("acd", "crm_link")
