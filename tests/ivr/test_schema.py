"""flows/flow.schema.json (for editors) agrees with the validator: the shipped flows pass it,
it knows exactly the validator's step types, fields and required routes, and it refuses the
structural mistakes of the broken corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from contactcenter.ivr.flow import ACTIONS, REQUIRED_ROUTES, ROUTING
from contactcenter.ivr.runtime import flow_files
from contactcenter.ivr.steps import FIELDS

FLOWS = Path(__file__).parents[2] / "flows"
BROKEN = Path(__file__).parent / "broken"
SCHEMA = json.loads((FLOWS / "flow.schema.json").read_text())
MODELINE = "# yaml-language-server: $schema=flow.schema.json"


def as_json(path: Path) -> object:
    """The flow as an editor's YAML server sees it: dates and keys as strings."""
    return json.loads(json.dumps(YAML(typ="safe").load(path.read_text()), default=str))


def schema_errors(path: Path) -> list[str]:
    return [e.message for e in Draft202012Validator(SCHEMA).iter_errors(as_json(path))]


def test_the_schema_is_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", flow_files(FLOWS), ids=lambda p: p.stem)
def test_every_shipped_flow_validates_and_names_the_schema(path: Path) -> None:
    assert schema_errors(path) == []
    assert path.read_text().splitlines()[0] == MODELINE


def test_the_schema_knows_every_step_type_and_no_other() -> None:
    step = SCHEMA["$defs"]["step"]
    assert set(step["properties"]) - set(ROUTING) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(FIELDS))
def test_the_schema_knows_every_field_of_a_step(action: str) -> None:
    assert set(SCHEMA["$defs"][action]["properties"]) == FIELDS[action]


@pytest.mark.parametrize("action", ACTIONS)
def test_the_schema_requires_the_routes_the_validator_requires(action: str) -> None:
    [branch] = [b for b in SCHEMA["$defs"]["step"]["oneOf"] if b["required"][0] == action]
    assert branch["required"] == [action, *REQUIRED_ROUTES.get(action, ())]


@pytest.mark.parametrize("name", ["unknown_action", "two_actions", "menu_unknown_field",
                                  "no_steps", "menu_bad_key", "say_no_next", "menu_no_exhausted",
                                  "queue_no_name", "unknown_top", "hours_bad_span",
                                  "goto_no_flow", "menu_bad_into"])
def test_the_schema_refuses_structural_mistakes(name: str) -> None:
    assert schema_errors(BROKEN / f"{name}.yaml")
