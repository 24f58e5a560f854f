"""The packages' import rules, as their docstrings state them: crm stores complaints and
knows nothing above it; complaints/ sits on crm and ivr and below the edges."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2] / "contactcenter"
FORBIDDEN = {
    "crm": ("cti", "acd", "ivr", "agent_console", "sim", "complaints"),
    "complaints": ("acd", "cti", "agent_console", "sim"),
}


def imported(package: str) -> set[tuple[str, str]]:
    """(file, contactcenter subpackage) for every import in the package."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                parts = name.split(".")
                if parts[0] == "contactcenter" and len(parts) > 1:
                    found.add((path.name, parts[1]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_it_must_not(package: str) -> None:
    wrong = {(file, target) for file, target in imported(package)
             if target in FORBIDDEN[package]}
    assert wrong == set()


def test_the_scan_sees_imports() -> None:
    assert {("desk.py", "crm"), ("desk.py", "ivr")} <= imported("complaints")
