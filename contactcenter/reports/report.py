"""`contactcenter report queues|agents`: the interval reports of a period from the
configured database, as text, CSV or JSON.

    contactcenter report queues --interval 30m --from 2026-12-01 --to 2026-12-01
    contactcenter report agents --interval 1d --from 2026-12-01 --to 2026-12-07 --format csv
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contactcenter.config import Config
from contactcenter.crm.database import Database
from contactcenter.crm.records import as_json
from contactcenter.errors import ConfigError, FlowError
from contactcenter.queue_config import QUEUES_FILE, QueueDefinition, load_queue_definitions
from contactcenter.reports.intervals import (
    SIZES,
    AgentRow,
    QueueRow,
    agent_csv,
    parse_size,
    queue_csv,
)
from contactcenter.reports.load import Period, agents_report, period, queues_report

LOCALTIME = Path("/etc/localtime")


def add_parser(kinds: argparse._SubParsersAction) -> None:
    """`report queues` and `report agents` among the kinds of `contactcenter report`."""
    for name, about in (("queues", "queue figures per interval: offered, answered, "
                                   "abandoned, SL, ASA, AHT, occupancy ..."),
                        ("agents", "agent figures per interval: calls, AHT, occupancy, "
                                   "time by state and pause reason")):
        parser = kinds.add_parser(name, help=about)
        parser.add_argument("--interval", default="30m",
                            help=f"one of {', '.join(SIZES)} (default 30m)")
        parser.add_argument("--from", dest="since",
                            help="first day (YYYY-MM-DD) or moment (YYYY-MM-DDTHH:MM), local; "
                                 "default today")
        parser.add_argument("--to", dest="until",
                            help="last day, included, or the moment the report ends; "
                                 "default today")
        parser.add_argument("--tz", help="the zone of the days and intervals (default: "
                                         "this machine's)")
        parser.add_argument("--format", choices=("text", "json", "csv"), default="text")
        if name == "queues":
            parser.add_argument("--queue", help="only this queue")
            parser.add_argument("--all", action="store_true",
                                help="one row per interval for all queues together")
        else:
            parser.add_argument("--agent", help="only this agent")
        parser.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace, config: Config) -> int:
    tz = zone(args.tz)
    now = datetime.now(UTC)
    try:
        when = period(args.since, args.until, parse_size(args.interval), tz, now)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    db = Database.open(config.database.url)
    try:
        if args.report == "queues":
            queues = queue_definitions(Path(config.flows.directory))
            rows: Sequence[QueueRow | AgentRow] = [
                row for row in queues_report(db, when, now, queues, by_queue=not args.all)
                if args.queue in (None, row.queue)]
        else:
            rows = [row for row in agents_report(db, when, now)
                    if args.agent in (None, row.agent_id)]
    finally:
        db.close()
    print(render(rows, when, args.format), end="")
    return 0


def render(rows: Sequence[QueueRow | AgentRow], when: Period, form: str) -> str:
    queues = [row for row in rows if isinstance(row, QueueRow)]
    agents = [row for row in rows if isinstance(row, AgentRow)]
    if form == "csv":
        return queue_csv(queues, when.tz) if queues else agent_csv(agents, when.tz)
    if form == "json":
        return json.dumps([as_json(row) for row in rows], indent=2) + "\n"
    return text_report(queues, agents, when.tz)


def text_report(queues: Sequence[QueueRow], agents: Sequence[AgentRow], tz: tzinfo) -> str:
    """One line per row, for a terminal."""
    lines = []
    for q in queues:
        lines.append(
            f"{_when(q.start, tz)} {q.queue}: offered {q.offered}, answered {q.answered}, "
            f"abandoned {q.abandoned} (+{q.short_abandoned} short), overflowed "
            f"{q.overflowed}, callbacks {q.callbacks}, transfers {q.transfers}, SL "
            f"{_pct(q.service_level_pct)}, abandon rate {_pct(q.abandon_rate_pct)}, ASA "
            f"{_s(q.asa_s)}, AHT {_s(q.aht_s)}, longest wait {_s(q.longest_wait_s)}, "
            f"occupancy {_pct(q.occupancy_pct)}, staffed {q.staffed_agents}")
    for a in agents:
        states = ", ".join(f"{state} {seconds:g} s" for state, seconds in a.seconds.items()
                           if seconds)
        paused = ", ".join(f"{reason} {seconds:g} s" for reason, seconds in a.paused.items())
        lines.append(
            f"{_when(a.start, tz)} {a.agent_id}: offered {a.offered}, answered {a.answered}, "
            f"transfers {a.transfers}, AHT {_s(a.aht_s)}, occupancy "
            f"{_pct(a.occupancy_pct)}; {states or 'no time'}"
            + (f"; paused: {paused}" if paused else ""))
    return "".join(f"{line}\n" for line in lines) or "nothing in this period\n"


def zone(name: str | None) -> tzinfo:
    """The named zone, else this machine's (TZ, then /etc/localtime), else UTC."""
    name = name or os.environ.get("TZ") or _localtime_name()
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r}") from exc


def _localtime_name() -> str:
    if LOCALTIME.is_symlink():
        target = str(LOCALTIME.resolve())
        if "/zoneinfo/" in target:
            return target.split("/zoneinfo/", 1)[1]
    return ""


def queue_definitions(flows: Path) -> Mapping[str, QueueDefinition]:
    """The flows directory's queues.yaml; a broken one stops the report with its errors."""
    try:
        return load_queue_definitions(flows / QUEUES_FILE)
    except FlowError as exc:
        raise ConfigError(f"{flows / QUEUES_FILE} is invalid: {exc}") from exc


def _when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:g} %"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:g} s"
