"""flows/flow.schema.json (for editors) is what the step types generate, so it knows exactly
the validator's step types, fields and required routes: the committed file must be up to
date, the shipped flows pass it, and it refuses the structural mistakes of the broken
corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from contactcenter.cli import main
from contactcenter.ivr.flowschema import flow_schema, schema_text
from contactcenter.ivr.runtime import flow_files

FLOWS = Path(__file__).parents[2] / "flows"
BROKEN = Path(__file__).parent / "broken"
SCHEMA = json.loads((FLOWS / "flow.schema.json").read_text())
MODELINE = "# yaml-language-server: $schema=flow.schema.json"


def as_json(path: Path) -> object:
    """The flow as an editor's YAML server sees it: dates and keys as strings."""
    return json.loads(json.dumps(YAML(typ="safe").load(path.read_text()), default=str))


def schema_errors(path: Path) -> list[str]:
    return [e.message for e in Draft202012Validator(SCHEMA).iter_errors(as_json(path))]


def test_the_committed_schema_is_what_the_step_types_generate() -> None:
    """Regenerate with: contactcenter flows schema > flows/flow.schema.json"""
    assert (FLOWS / "flow.schema.json").read_text() == schema_text()


def test_flows_schema_prints_the_schema(capsys) -> None:
    assert main(["flows", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == flow_schema()


def test_the_schema_is_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_every_reference_of_the_schema_resolves() -> None:
    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            return [*([node["$ref"]] if "$ref" in node else []),
                    *(r for value in node.values() for r in refs(value))]
        return [r for value in node for r in refs(value)] if isinstance(node, list) else []
    found = refs(SCHEMA)
    assert found and all(r.removeprefix("#/$defs/") in SCHEMA["$defs"] for r in found)


@pytest.mark.parametrize("path", flow_files(FLOWS), ids=lambda p: p.stem)
def test_every_shipped_flow_validates_and_names_the_schema(path: Path) -> None:
    assert schema_errors(path) == []
    assert path.read_text().splitlines()[0] == MODELINE


@pytest.mark.parametrize("name", ["unknown_action", "two_actions", "menu_unknown_field",
                                  "no_steps", "menu_bad_key", "say_no_next", "menu_no_exhausted",
                                  "queue_no_name", "unknown_top", "hours_bad_span",
                                  "goto_no_flow", "menu_bad_into"])
def test_the_schema_refuses_structural_mistakes(name: str) -> None:
    assert schema_errors(BROKEN / f"{name}.yaml")
