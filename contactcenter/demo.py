"""`contactcenter demo`: simulator + platform + console with embedded defaults."""

from __future__ import annotations

import argparse

from contactcenter.config import Config


def add_parser(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="simulated PBX, platform and console with demo data")
    demo.add_argument("--headless", action="store_true", help="no console; print a JSON summary")
    demo.add_argument("--seconds", type=float, default=0.0, help="stop after N seconds")
    demo.add_argument("--json", action="store_true", help="print one JSON object at the end")
    demo.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace, config: Config) -> int:
    raise NotImplementedError("contactcenter demo is wired once the components land")
