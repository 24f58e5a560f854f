"""The JSON Schema of flow files, generated from the step types (ivr/steptypes/) so that
editors complete exactly the actions, fields and required routes that `flows check` knows.

    contactcenter flows schema > flows/flow.schema.json

tests/ivr/test_schema.py fails when the committed file differs from what this generates.
The schema checks structure only; `flows check` is the full validator.
"""

from __future__ import annotations

import json
from typing import Any

from contactcenter.ivr.steptypes import STEP_TYPES
from contactcenter.ivr.steptypes.steptype import (
    DEFINITIONS,
    LANGUAGE,
    ROUTES,
    STEP_NAME,
    Schema,
    StepType,
    ref,
)

SCHEMA_ID = "https://github.com/contactcenter/contactcenter/flows/flow.schema.json"


def flow_schema() -> dict[str, Any]:
    types = STEP_TYPES.values()
    routes = {route: {**STEP_NAME, "description": f"{meaning[0].upper()}{meaning[1:]}."}
              for route, meaning in ROUTES.items()}
    step = {"type": "object", "additionalProperties": False,
            "properties": {**routes, **{t.name: action_schema(t) for t in types}},
            "oneOf": [{"required": [t.name, *t.routes]} for t in types]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "contactcenter IVR flow",
        "description": "One IVR flow (docs/flows.md). `contactcenter flows check` is the full "
                       "validator; this schema gives editors completion and the structural "
                       "errors.",
        "type": "object",
        "required": ["name", "steps"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "description": "Unique in the "
                     "directory; the FastAGI script name routes to it."},
            "description": {"type": "string"},
            "start": {**STEP_NAME, "description": "The first step (default: the first one "
                      "listed)."},
            "languages": {"type": "array", "uniqueItems": True, "items": LANGUAGE,
                          "description": "Languages of the flow's texts; the first is the "
                          "default."},
            "steps": {"type": "object", "minProperties": 1,
                      "additionalProperties": ref("step")},
        },
        "$defs": {**DEFINITIONS, "step": step,
                  **{t.name: fields_schema(t) for t in types if t.fields}},
    }


def action_schema(step_type: StepType) -> Schema:
    """The action's value: its plain form, its mapping of fields (a definition of its own,
    named for the type), or either."""
    forms = [form for form in (step_type.value, step_type.fields and ref(step_type.name))
             if form]
    schema = forms[0] if len(forms) == 1 else {"anyOf": forms}
    return {**schema, "description": step_type.description} if step_type.description \
        else schema


def fields_schema(step_type: StepType) -> Schema:
    return {"type": "object", "required": list(step_type.required),
            "additionalProperties": False, "properties": dict(step_type.fields)}


def schema_text() -> str:
    """flows/flow.schema.json as it should be committed."""
    return json.dumps(flow_schema(), indent=2, ensure_ascii=False) + "\n"
