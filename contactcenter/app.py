"""Wiring: configuration -> components, opened and closed in one place (`contactcenter run`)."""

from __future__ import annotations

import argparse

from contactcenter.config import Config


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run the platform against a PBX (real Asterisk or simulator)")
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace, config: Config) -> int:
    raise NotImplementedError("contactcenter run is wired once the components land")
