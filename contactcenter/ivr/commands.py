"""`contactcenter flows ...`: check, simulate, test and reload flows."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    flows = sub.add_parser("flows", help="check, simulate, test and reload IVR flows")
    flows.add_subparsers(dest="flows_command", required=True)
