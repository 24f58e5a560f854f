"""flows/complaints.yaml: categories and their subcategories, severities and their target
times, the teams that resolve complaints, and the business hours the deadlines count.

YAML beside the flows, not TOML: admins already edit the flows and queues there and get
`file:line:column` errors for each mistake (ruamel keeps positions, as for flows), the
categories nest their subcategories and overrides more readably than TOML tables, and the
hours can be the IVR's own (`hours: {flow: after_hours, step: check}`), so a holiday added
for the IVR moves the deadlines too. Every mistake is reported at once; nothing half-read
is returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from contactcenter.crm.users import USERNAME
from contactcenter.errors import FlowError
from contactcenter.ivr.flow import FlowErrors
from contactcenter.ivr.hours import OpeningHours, check_hours
from contactcenter.ivr.runtime import COMPLAINTS_FILE, flow_files, known_queues
from contactcenter.ivr.yamlsource import Errors, load_yaml

SUPERVISORS = "supervisors"  # escalate_to: the supervisors (and admins), not a team
DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
TOP_LEVEL = ("hours", "check_every", "severities", "categories", "teams")


@dataclass(frozen=True)
class Targets:
    """Business seconds until the first response and until the resolution are due."""

    response_s: float
    resolution_s: float


@dataclass(frozen=True)
class Category:
    name: str
    team: str  # the team that gets its complaints
    subcategories: tuple[str, ...]
    targets: dict[str, Targets]  # by severity: the severity's, or this category's own


@dataclass(frozen=True)
class Team:
    name: str
    members: tuple[str, ...]  # usernames (resolvers)
    queue: str  # the ACD queue callback tasks to customers wait in
    escalate_to: str  # another team, or SUPERVISORS


@dataclass(frozen=True)
class ComplaintSettings:
    hours: OpeningHours
    severities: tuple[str, ...]  # least severe first
    categories: dict[str, Category]
    teams: dict[str, Team]
    check_every_s: float = 60.0  # how often the escalation task looks for passed due dates
    file: str = COMPLAINTS_FILE

    def targets(self, category: str, severity: str) -> Targets:
        return self.categories[category].targets[severity]

    def teams_of(self, username: str) -> tuple[str, ...]:
        return tuple(team.name for team in self.teams.values() if username in team.members)


def load_settings(path: str | Path) -> ComplaintSettings:
    """The settings in `path`; FlowErrors with every mistake's file:line:column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowErrors([FlowError(exc.strerror or str(exc), str(path))]) from exc
    return parse_settings(text, str(path), path.parent)


def parse_settings(text: str, file: str, directory: Path) -> ComplaintSettings:
    """YAML text -> settings; `directory` holds the flows (hours) and queues.yaml."""
    errors = Errors(file)
    doc = load_yaml(text, errors)
    if not errors.found and not isinstance(doc, CommentedMap):
        errors.found.append(FlowError("expected a mapping with severities, categories, teams "
                                      "and hours", file, 1, 1))
    if errors.found:
        raise FlowErrors(errors.found)
    reader = _Reader(doc, errors, directory)
    settings = reader.read()
    if errors.found or settings is None:
        raise FlowErrors(sorted(errors.found, key=lambda e: (e.file != file, e.line, e.column)))
    return settings


def parse_duration(value: object) -> float | None:
    """'4h', '90m', '2h30m', '30s' -> seconds (> 0); None if unreadable."""
    found = DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or not any(found.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return float((hours * 60 + minutes) * 60 + seconds) or None


class _Reader:
    """Reads one document, adding an error at each node it cannot use."""

    def __init__(self, doc: CommentedMap, errors: Errors, directory: Path) -> None:
        self.doc, self.errors, self.directory = doc, errors, directory

    def read(self) -> ComplaintSettings | None:
        for key in self.doc:
            if key not in TOP_LEVEL:
                self.errors.add(self.doc, f"unknown top-level field {key!r} (known: "
                                f"{', '.join(TOP_LEVEL)})", key)
        hours = self._hours()
        check_every = self._duration(self.doc, "check_every", "check_every", default=60.0)
        severities = self._severities()
        teams = self._teams()
        categories = self._categories(severities or {}, teams or {})
        if self.errors.found or hours is None or not severities or not teams or not categories:
            return None
        return ComplaintSettings(hours, tuple(severities), categories, teams,
                                 check_every or 60.0, self.errors.file)

    def _mapping(self, key: str, what: str) -> CommentedMap | None:
        node = self.doc.get(key)
        if not isinstance(node, CommentedMap) or not node:
            self.errors.add(self.doc, f"'{key}' must be a non-empty mapping of {what}",
                            key if key in self.doc else None)
            return None
        return node

    def _hours(self) -> OpeningHours | None:
        node = self._mapping("hours", "timezone/open/holidays, or {flow, step} naming an "
                             "hours step of a flow")
        if node is None:
            return None
        errors = self.errors
        if "flow" in node or "step" in node:
            found = self._flow_hours(node)
            if found is None:
                return None
            node, errors = found[0], Errors(found[1])  # its mistakes are the flow file's
        check_hours(node, errors, "hours")
        if errors is not self.errors:
            self.errors.found += errors.found
        return None if errors.found else OpeningHours.from_step(node)

    def _flow_hours(self, ref: CommentedMap) -> tuple[CommentedMap, str] | None:
        """The hours of step `ref.step` in the flow named `ref.flow` beside this file."""
        flow, step = ref.get("flow"), ref.get("step")
        for path in flow_files(self.directory):
            doc = load_yaml(path.read_text(encoding="utf-8"), Errors(str(path)))
            if isinstance(doc, CommentedMap) and doc.get("name") == flow:
                steps = doc.get("steps")
                found = steps.get(step) if isinstance(steps, CommentedMap) else None
                hours = found.get("hours") if isinstance(found, CommentedMap) else None
                if isinstance(hours, CommentedMap):
                    return hours, str(path)
                self.errors.add(ref, f"hours: flow {flow!r} has no hours step {step!r}",
                                "step" if "step" in ref else None)
                return None
        self.errors.add(ref, f"hours: no flow named {flow!r} in {self.directory}",
                        "flow" if "flow" in ref else None)
        return None

    def _entries(self, node: CommentedMap, kind: str, fields: tuple[str, ...],
                 ) -> Iterator[tuple[str, CommentedMap, str]]:
        """(name, mapping, "kind 'name'") for each entry that is a mapping of known
        fields; the others and unknown fields are reported."""
        for name, body in node.items():
            where = f"{kind} {name!r}"
            if not isinstance(body, CommentedMap):
                self.errors.add(node, f"{where} needs a mapping of {', '.join(fields)}", name)
                continue
            for key in body:
                if key not in fields:
                    self.errors.add(body, f"{where}: unknown field {key!r}", key)
            yield str(name), body, where

    def _duration(self, node: CommentedMap, key: str, where: str,
                  default: float | None = None) -> float | None:
        if key not in node:
            if default is None:
                self.errors.add(node, f"{where} needs '{key}' (like 4h, 90m or 2h30m)")
            return default
        seconds = parse_duration(node[key])
        if seconds is None:
            self.errors.add(node, f"{where}: cannot read {node[key]!r} as a time (write 4h, "
                            "90m or 2h30m)", key)
        return seconds

    def _targets(self, parent: CommentedMap, key: Any, where: str,
                 defaults: Targets | None) -> Targets | None:
        node = parent[key]
        if not isinstance(node, CommentedMap):
            self.errors.add(parent, f"{where} needs a mapping with response and resolution",
                            key)
            return None
        for key in node:
            if key not in ("response", "resolution"):
                self.errors.add(node, f"{where}: unknown field {key!r} (response, resolution)",
                                key)
        response = self._duration(node, "response", where,
                                  defaults.response_s if defaults else None)
        resolution = self._duration(node, "resolution", where,
                                    defaults.resolution_s if defaults else None)
        if response is None or resolution is None:
            return None
        if response > resolution:
            self.errors.add(node, f"{where}: the response is due after the resolution",
                            "response" if "response" in node else None)
            return None
        return Targets(response, resolution)

    def _severities(self) -> dict[str, Targets | None] | None:
        """Each severity's targets; None for one that could not be read (reported)."""
        node = self._mapping("severities", "severity to {response, resolution}")
        if node is None:
            return None
        return {str(name): self._targets(node, name, f"severity {name!r}", None)
                for name in node}

    def _teams(self) -> dict[str, Team] | None:
        node = self._mapping("teams", "team to {members, queue, escalate_to}")
        if node is None:
            return None
        queues = known_queues(self.directory, [])
        teams: dict[str, Team] = {}
        for name, body, where in self._entries(node, "team", ("members", "queue",
                                                               "escalate_to")):
            members = body.get("members") or CommentedSeq()
            if not isinstance(members, CommentedSeq) or not all(
                    isinstance(m, str) and USERNAME.fullmatch(m) for m in members):
                self.errors.add(body, f"{where}: members must be a list of usernames",
                                "members" if "members" in body else None)
                members = CommentedSeq()
            queue = body.get("queue")
            if not isinstance(queue, str) or not queue or (queues and queue not in queues):
                self.errors.add(body, f"{where}: queue {queue!r} is not a queue of "
                                "queues.yaml (callback tasks wait there)",
                                "queue" if "queue" in body else None)
            teams[name] = Team(name, tuple(members), str(queue),
                                    str(body.get("escalate_to", SUPERVISORS)))
        for name, team in teams.items():
            body = node[name]
            if team.escalate_to != SUPERVISORS and team.escalate_to not in teams:
                self.errors.add(body, f"team {name!r}: escalate_to {team.escalate_to!r} is "
                                f"neither a team nor {SUPERVISORS!r}", "escalate_to")
            elif team.escalate_to == name:
                self.errors.add(body, f"team {name!r} escalates to itself", "escalate_to")
        return teams

    def _categories(self, severities: dict[str, Targets | None],
                    teams: dict[str, Team]) -> dict[str, Category] | None:
        node = self._mapping("categories", "category to {team, subcategories, targets}")
        if node is None:
            return None
        categories: dict[str, Category] = {}
        for name, body, where in self._entries(node, "category", ("team", "subcategories",
                                                                   "targets")):
            team = body.get("team")
            if team not in teams:
                self.errors.add(body, f"{where}: team {team!r} is not one of the teams",
                                "team" if "team" in body else None)
            subcategories = body.get("subcategories") or CommentedSeq()
            if not isinstance(subcategories, CommentedSeq) or not all(
                    isinstance(s, str) and s.strip() for s in subcategories) or len(
                    set(subcategories)) != len(subcategories):
                self.errors.add(body, f"{where}: subcategories must be a list of distinct "
                                "names", "subcategories" if "subcategories" in body else None)
                subcategories = CommentedSeq()
            targets = {name: found for name, found in severities.items() if found is not None}
            overrides = body.get("targets") or CommentedMap()
            for severity in overrides if isinstance(overrides, CommentedMap) else ():
                if severity not in severities:
                    self.errors.add(overrides, f"{where}: targets for unknown severity "
                                    f"{severity!r}", severity)
                    continue
                found = self._targets(overrides, severity, f"{where} {severity}",
                                      targets.get(str(severity)))
                if found is not None:
                    targets[str(severity)] = found
            categories[name] = Category(name, str(team), tuple(subcategories),
                                             targets)
        return categories
