"""`contactcenter report complaints`: the MIS figures of the complaints received in a
period, from the configured database, as text, JSON or CSV (one row per complaint).

    contactcenter report complaints --from 2026-12-01 --to 2026-12-31 --team billing
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from contactcenter.complaints.config import load_settings
from contactcenter.complaints.mis import Duration, Figures, as_csv, figures, period
from contactcenter.config import Config
from contactcenter.crm.complaints import ComplaintFilter, Complaints
from contactcenter.crm.database import Database
from contactcenter.crm.models import utcnow
from contactcenter.crm.records import as_json
from contactcenter.errors import ConfigError
from contactcenter.ivr.flow import FlowErrors
from contactcenter.ivr.runtime import COMPLAINTS_FILE


def add_parser(kinds: argparse._SubParsersAction) -> None:
    """`report complaints` among the kinds of `contactcenter report` (cli.py)."""
    complaints = kinds.add_parser("complaints", help="complaint MIS figures for a period")
    complaints.add_argument("--from", dest="since", type=date.fromisoformat,
                            help="first day received (YYYY-MM-DD, business hours' zone)")
    complaints.add_argument("--to", dest="until", type=date.fromisoformat,
                            help="last day received (YYYY-MM-DD), included")
    for name in ("category", "severity", "team", "channel"):
        complaints.add_argument(f"--{name}", help=f"only this {name}")
    complaints.add_argument("--format", choices=("text", "json", "csv"), default="text")
    complaints.add_argument("--settings", help=f"the complaint settings (default: "
                            f"{COMPLAINTS_FILE} in the flows directory)")
    complaints.set_defaults(handler=complaints_command)


def complaints_command(args: argparse.Namespace, config: Config) -> int:
    path = Path(args.settings or Path(config.flows.directory) / COMPLAINTS_FILE)
    try:
        settings = load_settings(path)
    except FlowErrors as exc:
        raise ConfigError(f"{path} is invalid:\n{exc}") from exc
    start, end = period(args.since, args.until, settings.hours.timezone)
    where = ComplaintFilter(category=args.category, severity=args.severity, team=args.team,
                            channel=args.channel, received_from=start, received_before=end)
    db = Database.open(config.database.url)
    try:
        found = Complaints(db).listing(where)
    finally:
        db.close()
    now = utcnow()
    if args.format == "csv":
        print(as_csv(found, now), end="")
    elif args.format == "json":
        print(json.dumps(as_json(figures(found, now, settings.hours.timezone)), indent=2))
    else:
        print(text_report(figures(found, now, settings.hours.timezone)))
    return 0


def text_report(found: Figures) -> str:
    """The figures for a terminal: one fact a line, groups indented."""
    lines = [f"complaints received: {found.received}, open: {found.open}, overdue: "
             f"{found.overdue}, escalated: {found.escalated}",
             f"time to first response: {_duration(found.first_response)}",
             f"time to resolution: {_duration(found.resolution)}",
             "reopen rate: " + ("-" if found.reopen_rate_pct is None
                                else f"{found.reopen_rate_pct} %")]
    for title, counts in (("open by age", found.open_by_age),
                          ("open by category", found.open_by_category),
                          ("open by severity", found.open_by_severity),
                          ("open by team", found.open_by_team),
                          ("top categories", dict(found.top_categories))):
        lines.append(f"{title}:")
        lines += [f"  {name}: {count}" for name, count in counts.items()]
    lines.append("received / resolved per week:")
    lines += [f"  {week}: {count} / {found.resolved_per_week[week]}"
              for week, count in found.received_per_week.items()]
    lines.append("customers with repeated complaints:")
    lines += [f"  {r.name} (#{r.customer_id}): {r.complaints}" for r in found.repeat_customers]
    return "\n".join(lines)


def _duration(found: Duration) -> str:
    if not found.count:
        return "-"
    return f"mean {found.mean_h} h, p90 {found.p90_h} h over {found.count}"
