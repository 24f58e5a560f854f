"""`contactcenter users add|passwd|disable|list`: the console's users in production, where
the demo's seeded users must not exist (or not with their published passwords).

A password is read from the terminal without echo (twice), or as the first line of
standard input when that is not a terminal (for scripts); never from the command line,
where other users of the host can see it.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from collections.abc import Iterable, Iterator

from contactcenter.config import Config
from contactcenter.crm.database import Database
from contactcenter.crm.errors import ValidationError
from contactcenter.crm.records import ROLES
from contactcenter.crm.users import Users

ACTOR = "cli"


def add_parser(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="add, change and list console users")
    commands = users.add_subparsers(dest="users_command", required=True)
    add = commands.add_parser("add", help="a new user; the password is asked for")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--device", default="", help="the agent's phone, e.g. PJSIP/agent101")
    add.add_argument("--queue", action="append", default=[], metavar="QUEUE=PENALTY",
                     help="a queue the agent serves, e.g. support=0 (repeatable)")
    add.add_argument("--skill", action="append", default=[], metavar="SKILL=LEVEL",
                     help="a skill and its level, e.g. french=2 (repeatable)")
    add.set_defaults(handler=add_command)
    passwd = commands.add_parser("passwd", help="a new password; ends the user's sessions")
    passwd.add_argument("username")
    passwd.set_defaults(handler=passwd_command)
    disable = commands.add_parser("disable", help="the user can no longer sign in; their "
                                  "sessions end at their next request")
    disable.add_argument("username")
    disable.set_defaults(handler=disable_command)
    listing = commands.add_parser("list", help="every user: role, state, phone, queues")
    listing.set_defaults(handler=list_command)


def add_command(args: argparse.Namespace, config: Config) -> int:
    queues, skills = _levels("queue", args.queue), _levels("skill", args.skill)
    password = read_password()
    with _users(config) as users:
        user = users.create(args.username, password, role=args.role, display_name=args.name,
                            device=args.device, queues=queues, skills=skills, actor=ACTOR)
    print(f"added {user.username} ({user.role})")
    return 0


def passwd_command(args: argparse.Namespace, config: Config) -> int:
    password = read_password()
    with _users(config) as users:
        users.set_password(args.username, password, actor=ACTOR)
    print(f"password of {args.username} changed; their sessions ended")
    return 0


def disable_command(args: argparse.Namespace, config: Config) -> int:
    with _users(config) as users:
        users.update(args.username, active=False, actor=ACTOR)
    print(f"{args.username} disabled")
    return 0


def list_command(args: argparse.Namespace, config: Config) -> int:
    with _users(config) as users:
        found = users.list()
    for user in found:
        queues = ",".join(f"{q.queue}={q.penalty}" for q in user.queues) or "-"
        print(f"{user.username:<20} {user.role:<10} {'active' if user.active else 'disabled':<8}"
              f" {user.device or '-':<20} {queues}")
    return 0


def read_password() -> str:
    """From the terminal (asked twice, no echo), else the first line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise ValidationError("password", "the two entries differ")
    return password


@contextlib.contextmanager
def _users(config: Config) -> Iterator[Users]:
    """The configured database's Users, closed after the command."""
    db = Database.open(config.database.url)
    try:
        yield Users(db)
    finally:
        db.close()


def _levels(field: str, values: Iterable[str]) -> dict[str, int]:
    """["support=0", "sales=1"] -> {"support": 0, "sales": 1}."""
    levels = {}
    for value in values:
        name, sep, level = value.partition("=")
        if not sep or not level.strip().isdigit():
            raise ValidationError(field, f"expected NAME=NUMBER, not {value!r}")
        levels[name.strip()] = int(level)
    return levels
