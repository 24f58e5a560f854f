"""The `contactcenter` command: run | demo | sim | flows ... | users ... |
report complaints|queues|agents

Each subcommand's work lives with what it drives (app.py, demo.py, ivr/commands.py,
crm/commands.py, complaints/report.py, reports/report.py); this module only parses
arguments and sets up logging.
"""

from __future__ import annotations

import argparse
import sys

from contactcenter.config import load_config
from contactcenter.errors import ContactCenterError
from contactcenter.logs import configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contactcenter", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML configuration file (defaults are embedded)")
    sub = parser.add_subparsers(dest="command", required=True)

    from contactcenter import app, demo
    from contactcenter.complaints import report as complaints_report
    from contactcenter.crm import commands as user_commands
    from contactcenter.ivr import commands as flow_commands
    from contactcenter.reports import report as interval_report
    from contactcenter.sim import control as sim_control

    app.add_parser(sub)
    demo.add_parser(sub)
    sim_control.add_parser(sub)
    flow_commands.add_parser(sub)
    report = sub.add_parser("report", help="reports from the platform's database")
    kinds = report.add_subparsers(dest="report", required=True)
    complaints_report.add_parser(kinds)
    interval_report.add_parser(kinds)
    user_commands.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        configure_logging(config.log.level, config.log.format)
        return int(args.handler(args, config) or 0)
    except ContactCenterError as exc:
        print(f"contactcenter: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
