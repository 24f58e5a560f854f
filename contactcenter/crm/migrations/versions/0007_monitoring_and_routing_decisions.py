"""monitoring_sessions (every supervisor's listen/whisper/barge session: who, whom, when,
modes, how long) and routing_decisions (why each offer went to its agent)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("supervisor", sa.String(length=80), nullable=False),
        sa.Column("agent_id", sa.String(length=80), nullable=False),
        sa.Column("call_id", sa.String(length=80), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("modes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_sessions")),
        sa.UniqueConstraint("session_id", name=op.f("uq_monitoring_sessions_session_id")),
    )
    with op.batch_alter_table("monitoring_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monitoring_sessions_supervisor"), ["supervisor"])
        batch_op.create_index(batch_op.f("ix_monitoring_sessions_agent_id"), ["agent_id"])
        batch_op.create_index(batch_op.f("ix_monitoring_sessions_requested_at"),
                              ["requested_at"])
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=80), nullable=False),
        sa.Column("agent_id", sa.String(length=80), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_decisions")),
    )
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_decisions_call_id"), ["call_id"])
        batch_op.create_index(batch_op.f("ix_routing_decisions_at"), ["at"])


def downgrade() -> None:
    op.drop_table("routing_decisions")
    op.drop_table("monitoring_sessions")
