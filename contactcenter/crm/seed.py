"""Demo data for `contactcenter demo`: customers with history and open cases, and users.

Demo logins (password = username + "-demo"):
    agent101 / agent101-demo   agent, SIP/agent101, queues support (0) and sales (1)
    agent102 / agent102-demo   agent, SIP/agent102, queues support (0) and billing (0)
    agent103 / agent103-demo   agent, SIP/agent103, queues sales (0) and billing (1)
    supervisor / supervisor-demo
    admin / admin-demo
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from contactcenter.crm.cases import Cases
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.users import Users

USERS = (
    (
        "agent101",
        "agent",
        "Alice Agent",
        "SIP/agent101",
        {"support": 0, "sales": 1},
        {"english": 3, "billing": 1},
    ),
    (
        "agent102",
        "agent",
        "Bob Agent",
        "SIP/agent102",
        {"support": 0, "billing": 0},
        {"english": 3, "billing": 3, "french": 2},
    ),
    (
        "agent103",
        "agent",
        "Carol Agent",
        "SIP/agent103",
        {"sales": 0, "billing": 1},
        {"english": 2, "spanish": 3},
    ),
    ("supervisor", "supervisor", "Sam Supervisor", "", {}, {}),
    ("admin", "admin", "Ada Admin", "", {}, {}),
)

FIRST = (
    "Alan",
    "Barbara",
    "Claude",
    "Dorothy",
    "Edsger",
    "Frances",
    "Gordon",
    "Hedy",
    "Ivan",
    "Joan",
    "Ken",
    "Lynn",
    "Margaret",
    "Niklaus",
    "Radia",
    "Tim",
    "Katherine",
    "John",
    "Sophie",
    "Dennis",
    "Carla",
    "Leslie",
)
LAST = (
    "Turing",
    "Liskov",
    "Shannon",
    "Vaughan",
    "Dijkstra",
    "Allen",
    "Moore",
    "Lamarr",
    "Sutherland",
    "Clarke",
    "Thompson",
    "Conway",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "McCarthy",
    "Wilson",
    "Ritchie",
    "Meyer",
    "Lamport",
)
SEGMENTS = ("retail", "business", "vip")
SUBJECTS = (
    "Invoice disputed",
    "Router replacement",
    "Change of address",
    "Refund request",
    "Contract renewal",
)


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    interactions: int
    open_cases: int
    users: int


def demo_password(username: str) -> str:
    return f"{username}-demo"


def demo_logins(db: Database, hasher: PasswordHasher | None = None) -> list[str]:
    """The demo users (USERS) that can still sign in with their published demo password:
    a production database must have none (`contactcenter run` checks)."""
    users = Users(db, hasher)
    return [username for username, *_ in USERS
            if users.authenticate(username, demo_password(username)) is not None]


def seed(
    db: Database,
    *,
    now: datetime | None = None,
    hasher: PasswordHasher | None = None,
    seed_value: int = 5,
) -> SeedSummary:
    """Fill an empty database with the demo data; a database that has users is left alone."""
    users = Users(db, hasher)
    if users.list():
        return SeedSummary(0, 0, 0, 0)
    now = now or datetime.now(UTC)
    rng = random.Random(seed_value)
    interactions = Interactions(db)
    codes = [d.code for d in interactions.dispositions()]  # the migrations' defaults
    for username, role, name, device, queues, skills in USERS:
        users.create(
            username,
            demo_password(username),
            role=role,
            display_name=name,
            device=device,
            queues=queues,
            skills=skills,
            actor="seed",
        )

    customers = Customers(db)
    people = [
        customers.create(
            name="Ada Lovelace",
            phones=["+14155550123"],
            email="ada@example.org",
            account_number="1001",
            segment="vip",
            notes="Prefers email follow-up.",
            actor="seed",
        ),
        customers.create(
            name="Grace Hopper",
            phones=["+442071838750", "+447700900123"],
            email="grace@example.org",
            account_number="1002",
            segment="business",
            actor="seed",
        ),
    ]
    for i, (first, last) in enumerate(zip(FIRST, LAST, strict=True)):
        people.append(
            customers.create(
                name=f"{first} {last}",
                phones=[f"+1212555{i + 200:04d}"],
                email=f"{first.lower()}.{last.lower()}@example.com",
                account_number=str(1003 + i),
                segment=rng.choice(SEGMENTS),
                actor="seed",
            )
        )

    calls = 0
    agents = [u[0] for u in USERS if u[1] == "agent"]
    for person in people:
        for _ in range(rng.randint(1, 4)):
            calls += 1
            entered = now - timedelta(days=rng.randint(1, 90), minutes=rng.randint(0, 600))
            wait = rng.randint(5, 240)
            talk = rng.randint(30, 900)
            call_id = f"demo-{calls:04d}"
            interactions.track(
                call_id,
                {
                    "customer_id": person.id,
                    "caller_num": person.phones[0],
                    "caller_name": person.name,
                    "queue": rng.choice(("support", "sales", "billing")),
                    "agent_id": rng.choice(agents),
                    "state": "ended",
                    "outcome": "answered",
                    "ivr_path": "main:welcome,main:menu,main:account",
                    "ivr_fields": {"account": person.account_number or ""},
                    "entered_at": entered,
                    "offered_at": entered + timedelta(seconds=wait),
                    "connected_at": entered + timedelta(seconds=wait + 4),
                    "ended_at": entered + timedelta(seconds=wait + 4 + talk),
                    "wait_s": float(wait),
                    "talk_s": float(talk),
                },
            )
            interactions.wrap_up(
                call_id,
                disposition=rng.choice(codes),
                notes="Demo history.",
                actor="seed",
            )

    cases = Cases(db)
    open_cases = 0
    for person in people[:2] + rng.sample(people[2:], 3):
        cases.open(person.id, rng.choice(SUBJECTS), "Opened from the demo data.", actor="seed")
        open_cases += 1
    resolved = cases.open(people[0].id, "Password reset", actor="seed")
    cases.resolve(resolved.id, actor="seed")
    return SeedSummary(len(people), calls, open_cases, len(USERS))
