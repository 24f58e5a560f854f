from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from contactcenter.crm.audit import AuditLog
from contactcenter.crm.database import Database
from contactcenter.crm.errors import Conflict, NotFound, ValidationError
from contactcenter.crm.models import UserRow
from contactcenter.crm.records import QueueMembership, Skill, as_json
from contactcenter.crm.users import Users


@pytest.fixture
def users(db: Database) -> Users:
    """Real argon2id with small costs, so the suite stays fast (the default is tested above)."""
    return Users(db, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _user_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(UserRow)) or 0


def test_password_is_stored_as_an_argon2_hash_never_plain(db: Database) -> None:
    Users(db).create("agent101", "correct horse", device="SIP/agent101")
    with db.session() as session:
        stored = session.scalar(select(UserRow.password_hash))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_authenticate_accepts_only_the_right_password_of_an_active_user(
    db: Database, users: Users
) -> None:
    created = users.create(
        "Agent101",
        "correct horse",
        role="agent",
        device="SIP/agent101",
        queues={"support": 0, "sales": 2},
        skills={"billing": 3},
    )
    user = users.authenticate("agent101", "correct horse")
    assert user == created
    assert user.username == "agent101"
    assert user.device == "SIP/agent101"
    assert set(user.queues) == {QueueMembership("support", 0), QueueMembership("sales", 2)}
    assert user.skills == (Skill("billing", 3),)
    assert users.authenticate("agent101", "wrong horse") is None
    assert users.authenticate("nobody", "correct horse") is None
    users.update("agent101", active=False)
    assert users.authenticate("agent101", "correct horse") is None


def test_roles_rank_admin_over_supervisor_over_agent(db: Database, users: Users) -> None:
    agent = users.create("a1", "password1")
    supervisor = users.create("s1", "password1", role="supervisor")
    admin = users.create("ad1", "password1", role="admin")
    assert agent.has_role("agent") and not agent.has_role("supervisor")
    assert supervisor.has_role("supervisor") and not supervisor.has_role("admin")
    assert admin.has_role("agent") and admin.has_role("supervisor") and admin.has_role("admin")
    assert [u.username for u in users.list(role="supervisor")] == ["s1"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "bad name", "password": "password1"}, "username"),
        ({"username": "ok", "password": "short"}, "password"),
        ({"username": "ok", "password": "password1", "role": "root"}, "role"),
        ({"username": "ok", "password": "password1", "device": "agent101\r\nAction: x"}, "device"),
        ({"username": "ok", "password": "password1", "queues": {"support": -1}}, "queues"),
        ({"username": "ok", "password": "password1", "skills": {"bad skill": 1}}, "skills"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    db: Database, users: Users, kwargs: dict, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        users.create(**kwargs)
    assert caught.value.field == field
    assert _user_count(db) == 0


def test_taken_username_is_a_conflict_and_keeps_the_first(db: Database, users: Users) -> None:
    users.create("agent101", "first password")
    with pytest.raises(Conflict):
        users.create("AGENT101", "second password")
    assert users.authenticate("agent101", "first password") is not None
    assert _user_count(db) == 1


def test_update_replaces_queues_and_skills_and_is_audited(db: Database, users: Users) -> None:
    users.create("agent101", "password1", queues={"support": 0}, skills={"billing": 1})
    updated = users.update(
        "agent101",
        queues={"support": 2, "sales": 0},
        skills={"billing": 1, "french": 2},
        actor="admin",
    )
    assert set(updated.queues) == {QueueMembership("support", 2), QueueMembership("sales", 0)}
    assert set(updated.skills) == {Skill("billing", 1), Skill("french", 2)}
    assert users.get("agent101") == updated
    entry = AuditLog(db).recent(1, entity="user")[0]
    assert (entry.actor, entry.action, entry.entity_id) == ("admin", "update", "agent101")
    assert entry.detail["queues"] == {"support": 2, "sales": 0}


def test_set_password_replaces_the_old_one(db: Database, users: Users) -> None:
    users.create("agent101", "old password")
    users.set_password("agent101", "new password")
    assert users.authenticate("agent101", "old password") is None
    assert users.authenticate("agent101", "new password") is not None
    with pytest.raises(NotFound):
        users.set_password("ghost", "new password")


def test_a_user_record_becomes_json_without_its_hash(db: Database, users: Users) -> None:
    user = users.create("agent101", "password1", device="SIP/agent101", queues={"support": 1})
    plain = as_json(user)
    assert plain["queues"] == [{"queue": "support", "penalty": 1}]
    assert "password_hash" not in plain and json.loads(json.dumps(plain)) == plain
