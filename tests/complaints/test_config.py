"""flows/complaints.yaml: the shipped file reads, and each kind of mistake is reported at
its file:line:column, all of them at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from contactcenter.complaints.config import load_settings, parse_duration, parse_settings
from contactcenter.ivr.flow import FlowErrors
from contactcenter.ivr.runtime import flow_files

FLOWS = Path(__file__).parents[2] / "flows"
GOOD = """\
hours:
  timezone: Europe/Paris
  open: {mon-fri: "09:00-17:00"}
  holidays: [2026-12-25]
check_every: 30s
severities:
  low: {response: 8h, resolution: 40h}
  high: {response: 1h30m, resolution: 8h}
categories:
  billing:
    team: billing
    subcategories: [refund, invoice disputed]
    targets: {high: {resolution: 6h}}
  other: {team: care}
teams:
  billing: {members: [resolver1], queue: billing, escalate_to: care}
  care: {members: [resolver2, resolver1], queue: support}
"""


def test_the_shipped_settings_use_the_ivrs_hours() -> None:
    settings = load_settings(FLOWS / "complaints.yaml")
    assert settings.hours.timezone == "America/New_York"
    assert settings.hours.holidays  # after_hours.yaml's check step
    assert settings.severities == ("low", "medium", "high", "critical")
    assert settings.targets("billing", "high").resolution_s == 6 * 3600
    assert settings.targets("service", "high").resolution_s == 8 * 3600
    assert settings.teams["billing"].escalate_to == "customer-care"
    assert FLOWS / "complaints.yaml" not in flow_files(FLOWS)  # not a flow


def test_inline_hours_overrides_and_defaults(tmp_path: Path) -> None:
    settings = parse_settings(GOOD, "complaints.yaml", tmp_path)
    assert (settings.hours.timezone, settings.check_every_s) == ("Europe/Paris", 30.0)
    billing_high = settings.targets("billing", "high")
    assert (billing_high.response_s, billing_high.resolution_s) == (5400.0, 6 * 3600.0)
    assert settings.targets("other", "high").resolution_s == 8 * 3600.0
    assert settings.categories["other"].subcategories == ()
    assert settings.teams["care"].escalate_to == "supervisors"  # the default
    assert settings.teams_of("resolver1") == ("billing", "care")
    assert settings.teams_of("agent101") == ()


def errors_of(text: str, directory: Path) -> list[str]:
    with pytest.raises(FlowErrors) as refused:
        parse_settings(text, "complaints.yaml", directory)
    return [str(e) for e in refused.value.errors]


@pytest.mark.parametrize(("change", "error"), [
    (("check_every: 30s", "check_every: soon"),
     "complaints.yaml:5:1: check_every: cannot read 'soon' as a time (write 4h, 90m or 2h30m)"),
    (("low: {response: 8h, resolution: 40h}", "low: {response: 8h}"),
     "complaints.yaml:7:8: severity 'low' needs 'resolution' (like 4h, 90m or 2h30m)"),
    (("high: {response: 1h30m, resolution: 8h}", "high: {response: 9h, resolution: 8h}"),
     "complaints.yaml:8:10: severity 'high': the response is due after the resolution"),
    (("    team: billing\n", "    team: finance\n"),
     "complaints.yaml:11:5: category 'billing': team 'finance' is not one of the teams"),
    (("targets: {high:", "targets: {urgent:"),
     "complaints.yaml:13:15: category 'billing': targets for unknown severity 'urgent'"),
    (("[refund, invoice disputed]", "[refund, refund]"),
     "complaints.yaml:12:5: category 'billing': subcategories must be a list of distinct names"),
    (("escalate_to: care}", "escalate_to: nobody}"),
     "complaints.yaml:16:51: team 'billing': escalate_to 'nobody' is neither a team nor "
     "'supervisors'"),
    (("queue: billing,", "queue: accounts,"),
     "complaints.yaml:16:35: team 'billing': queue 'accounts' is not a queue of queues.yaml "
     "(callback tasks wait there)"),
    (("members: [resolver1]", "members: [Not A Name]"),
     "complaints.yaml:16:13: team 'billing': members must be a list of usernames"),
    (("timezone: Europe/Paris", "timezone: Europe/Atlantis"),
     "complaints.yaml:2:3: hours: unknown timezone 'Europe/Atlantis'"),
    (("check_every: 30s", "check_evry: 30s"),
     "complaints.yaml:5:1: unknown top-level field 'check_evry' (known: hours, check_every, "
     "severities, categories, teams)"),
])
def test_each_mistake_at_its_place(tmp_path: Path, change: tuple[str, str], error: str) -> None:
    shutil.copy(FLOWS / "queues.yaml", tmp_path)  # team queues are checked against it
    old, new = change
    assert old in GOOD
    assert error in errors_of(GOOD.replace(old, new, 1), tmp_path)


def test_all_mistakes_at_once_and_syntax_errors(tmp_path: Path) -> None:
    both = GOOD.replace("team: billing\n", "team: finance\n").replace("low: {response: 8h, ",
                                                                      "low: {response: 8x, ")
    assert len(errors_of(both, tmp_path)) == 2
    assert errors_of("severities: [", tmp_path)[0].startswith("complaints.yaml:1:14: YAML syntax")
    assert errors_of("- a list", tmp_path) == [
        "complaints.yaml:1:1: expected a mapping with severities, categories, teams and hours"]
    with pytest.raises(FlowErrors, match="No such file"):
        load_settings(tmp_path / "missing.yaml")


def test_hours_from_a_flow_step_and_its_mistakes(tmp_path: Path) -> None:
    shutil.copy(FLOWS / "after_hours.yaml", tmp_path)
    head, _, rest = GOOD.partition("check_every")
    referring = "hours: {flow: after_hours, step: check}\ncheck_every" + rest
    assert parse_settings(referring, "complaints.yaml", tmp_path).hours.timezone == (
        "America/New_York")
    assert errors_of(referring.replace("after_hours,", "night,"), tmp_path) == [
        f"complaints.yaml:1:9: hours: no flow named 'night' in {tmp_path}"]
    assert errors_of(referring.replace("step: check", "step: closed"), tmp_path) == [
        "complaints.yaml:1:28: hours: flow 'after_hours' has no hours step 'closed'"]
    flow = tmp_path / "after_hours.yaml"
    flow.write_text(flow.read_text().replace("timezone: America/New_York", "timezone: Moon"))
    assert errors_of(referring, tmp_path) == [
        f"{flow}:10:7: hours: unknown timezone 'Moon'"]  # the mistake is the flow's


@pytest.mark.parametrize(("text", "seconds"), [
    ("4h", 14400.0), ("90m", 5400.0), ("2h30m", 9000.0), ("45s", 45.0), ("1h0m5s", 3605.0),
    ("0m", None), ("", None), ("4 h", None), ("h", None), (4, None), ("-1h", None)])
def test_durations(text: object, seconds: float | None) -> None:
    assert parse_duration(text) == seconds
