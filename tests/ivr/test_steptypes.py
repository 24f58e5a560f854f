"""The registry of step types (contactcenter/ivr/steptypes/): each type is consistent with
itself, and a new type is one entry in the table that the loader, the checker, the
interpreter, the dry run and the JSON Schema all follow."""

from __future__ import annotations

from collections.abc import Generator

import pytest
from jsonschema import Draft202012Validator

from contactcenter.ivr import dryrun, flow, flowschema
from contactcenter.ivr.dryrun import describe_end, dry_run
from contactcenter.ivr.interpreter import Action, CallInfo, Exec, Finish, FlowRun
from contactcenter.ivr.model import Step
from contactcenter.ivr.steptypes import ENDINGS, STEP_TYPES
from contactcenter.ivr.steptypes.check import StepCheck
from contactcenter.ivr.steptypes.steptype import DEFINITIONS, ROUTES, Ending, StepType


@pytest.mark.parametrize("step_type", STEP_TYPES.values(), ids=str)
def test_a_step_type_requires_only_routes_and_fields_it_has(step_type: StepType) -> None:
    assert set(step_type.routes) <= set(ROUTES)
    assert set(step_type.required) <= set(step_type.fields)
    assert step_type.value is not None or step_type.fields, "a value needs some form"


def test_step_type_names_are_free_in_the_schema_and_endings_distinct() -> None:
    assert not set(STEP_TYPES) & {*DEFINITIONS, "step", *ROUTES}
    endings = [t.ending.outcome for t in STEP_TYPES.values() if t.ending]
    assert len(endings) == len(set(endings)) == len(ENDINGS)


FAXED = Ending("faxed", lambda end: f" to {end.target}")


def run_fax(call: FlowRun, step: Step) -> Generator[Action, object, str | None]:
    file = call.text(step.params)
    if not (yield Exec("ReceiveFAX", file)):
        return step.on_error
    yield Finish(FAXED.outcome, call.last_step, target=file)
    return None


FAX = StepType("fax", StepCheck.plain_text, run_fax, "Receive a fax into a file.",
               value={"type": "string", "minLength": 1}, routes=("on_error",), ending=FAXED)
FLOW = """
name: faxes
steps:
  fax:
    fax: /var/spool/fax/${caller_num}.tif
    on_error: sorry
  sorry: {hangup: Sorry.}
"""


@pytest.fixture
def with_fax(monkeypatch) -> None:
    """FAX registered, as one more entry of STEP_TYPES would (each reader's view of it)."""
    types = {**STEP_TYPES, "fax": FAX}
    monkeypatch.setattr(flow, "STEP_TYPES", types)
    monkeypatch.setattr(flowschema, "STEP_TYPES", types)
    monkeypatch.setattr(dryrun, "ENDINGS", {**ENDINGS, "faxed": FAXED})


def test_a_new_step_type_is_one_entry_in_the_table(with_fax) -> None:
    parsed, errors = flow.parse_flow(FLOW, "faxes.yaml")
    assert errors == [] and parsed is not None
    run = dry_run(parsed, CallInfo("1", caller_num="5551234"), [])
    assert run.transcript == ("[fax] runs ReceiveFAX(/var/spool/fax/5551234.tif)",)
    assert describe_end(run.finish) == "faxed to /var/spool/fax/5551234.tif at step fax"

    _, errors = flow.parse_flow(FLOW.replace("    on_error: sorry\n", "").replace(
        "  sorry: {hangup: Sorry.}\n", ""), "faxes.yaml")
    assert [str(e) for e in errors] == [
        "faxes.yaml:5:5: step 'fax': fax needs 'on_error' (where the call goes when the step "
        "fails)"]

    schema = Draft202012Validator(flowschema.flow_schema())
    assert not list(schema.iter_errors({"name": "faxes", "steps": {
        "fax": {"fax": "f.tif", "on_error": "sorry"}, "sorry": {"hangup": None}}}))
    assert list(schema.iter_errors({"name": "faxes", "steps": {"fax": {"fax": "f.tif"}}}))


def test_without_its_entry_the_step_type_is_unknown() -> None:
    _, errors = flow.parse_flow(FLOW, "faxes.yaml")
    assert "step 'fax': unknown field 'fax'" in [e.message for e in errors]
