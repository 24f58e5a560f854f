"""Demo data for `contactcenter demo`: customers with history and complaints, and users.

Demo logins (password = username + "-demo"):
    agent101 / agent101-demo   agent, SIP/agent101, queues support (0) and sales (1)
    agent102 / agent102-demo   agent, SIP/agent102, queues support (0) and billing (0)
    agent103 / agent103-demo   agent, SIP/agent103, queues sales (0) and billing (1)
    resolver1 / resolver1-demo resolver (team billing in flows/complaints.yaml)
    resolver2 / resolver2-demo resolver (teams support and customer-care)
    supervisor / supervisor-demo
    admin / admin-demo

The complaints use flows/complaints.yaml's categories; they were received two to twenty
days ago, with due dates a fixed number of calendar hours later (the platform computes
business-hours deadlines for the complaints it opens).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from contactcenter.crm.complaints import Clock, Complaints, NewComplaint
from contactcenter.crm.customers import Customers
from contactcenter.crm.database import Database
from contactcenter.crm.interactions import Interactions
from contactcenter.crm.users import Users

# username, role, name, device, queues (name -> priority), skills (name -> level)
USERS: tuple[tuple[str, str, str, str, dict[str, int], dict[str, int]], ...] = (
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
    ("resolver1", "resolver", "Rita Resolver", "", {}, {}),
    ("resolver2", "resolver", "Ravi Resolver", "", {}, {}),
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
COMPLAINTS = (  # subject, category, subcategory, team, severity
    ("Invoice disputed", "billing", "invoice disputed", "billing", "medium"),
    ("Router keeps failing", "service", "equipment", "support", "high"),
    ("Refund not received", "billing", "refund", "billing", "medium"),
    ("Slow connection every evening", "service", "slow connection", "support", "low"),
    ("Agent was rude", "staff", "rude agent", "customer-care", "high"),
)
DUE_HOURS = {"low": (8, 40), "medium": (4, 20), "high": (2, 8)}  # response, resolution


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    interactions: int
    open_complaints: int
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

    complainants = people[:2] + rng.sample(people[2:], 3)
    for person, (subject, category, subcategory, team, severity) in zip(
            complainants, COMPLAINTS, strict=True):
        opened = now - timedelta(days=rng.randint(2, 20), minutes=rng.randint(0, 600))
        response, resolution = DUE_HOURS[severity]
        Complaints(db, clock=_stopped(opened)).open(NewComplaint(
            subject, person.id, "Opened from the demo data.", category, subcategory, severity,
            "call", team, opened + timedelta(hours=response),
            opened + timedelta(hours=resolution)), actor="seed")
    opened = now - timedelta(days=30)
    solved = Complaints(db, clock=lambda: opened)
    done = solved.open(NewComplaint("Password reset never arrived", people[0].id,
                                    category="service", subcategory="equipment",
                                    severity="low", team="support"), actor="seed")
    solved.act(done.id, "resolve", actor="seed", inputs={"solution": "New password sent."})
    return SeedSummary(len(people), calls, len(COMPLAINTS), len(USERS))


def _stopped(at: datetime) -> Clock:
    """A clock that always says `at`: a complaint opened in the demo's past."""
    return lambda: at
