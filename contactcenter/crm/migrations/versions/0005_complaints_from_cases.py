"""complaints: the former cases become complaints with the same ids (open -> new, resolved
stays resolved; subject, description, author and times kept; channel 'call' when a call is
linked, else 'other'; no category, severity or due dates, which nobody chose), with a thread
of notes and an outbox; interactions point at complaints instead of cases

Revision ID: 0005
Revises: 0004_interaction_survey
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_interaction_survey"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("subcategory", sa.String(length=80), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=80), nullable=False),
        sa.Column("assignee", sa.String(length=80), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("response_due_at", sa.DateTime(), nullable=True),
        sa.Column("resolution_due_at", sa.DateTime(), nullable=True),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("solution", sa.Text(), nullable=False),
        sa.Column("solution_by", sa.String(length=80), nullable=False),
        sa.Column("solution_at", sa.DateTime(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_to", sa.String(length=80), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_complaints_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        for column in ("customer_id", "category", "status", "team", "assignee", "created_at",
                       "resolution_due_at"):
            batch_op.create_index(batch_op.f(f"ix_complaints_{column}"), [column], unique=False)
    op.execute("""
        INSERT INTO complaints (id, customer_id, subject, description, category, subcategory,
            severity, channel, status, team, assignee, created_by, created_at, updated_at,
            resolved_at, solution, solution_by, escalation_level, escalated_to, reopened)
        SELECT c.id, c.customer_id, c.subject, c.description, '', '', '',
            CASE WHEN EXISTS (SELECT 1 FROM interactions i WHERE i.case_id = c.id)
                THEN 'call' ELSE 'other' END,
            CASE WHEN c.status = 'resolved' THEN 'resolved' ELSE 'new' END,
            '', NULL, c.created_by, c.created_at, c.updated_at, c.resolved_at, '', '', 0, '', 0
        FROM cases c
    """)
    _restart_ids("complaints")
    op.create_table(
        "complaint_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("call_id", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_complaint_notes_complaint_id_complaints")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_notes")),
    )
    with op.batch_alter_table("complaint_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_notes_complaint_id"), ["complaint_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_outbox_complaint_id_complaints")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_outbox_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        for column in ("complaint_id", "customer_id", "sent_at"):
            batch_op.create_index(batch_op.f(f"ix_outbox_{column}"), [column])

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complaint_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_interactions_complaint_id_complaints"),
                                    "complaints", ["complaint_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_interactions_complaint_id"), ["complaint_id"])
    op.execute("UPDATE interactions SET complaint_id = case_id")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interactions_case_id"))
        batch_op.drop_constraint(batch_op.f("fk_interactions_case_id_cases"), type_="foreignkey")
        batch_op.drop_column("case_id")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index(batch_op.f("ix_cases_customer_id"))
    op.drop_table("cases")
    # a complaint's history is its audit entries (the former cases' under entity 'case')
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"])


def downgrade() -> None:
    """Back to cases: status new..awaiting_customer -> open, resolved and closed ->
    resolved. What cases cannot hold (category, notes, outbox, workflow) is dropped."""
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_cases_customer_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)
    op.execute("""
        INSERT INTO cases (id, customer_id, subject, description, status, created_by,
            created_at, updated_at, resolved_at)
        SELECT id, customer_id, subject, description,
            CASE WHEN status IN ('resolved', 'closed') THEN 'resolved' ELSE 'open' END,
            created_by, created_at, updated_at,
            CASE WHEN status IN ('resolved', 'closed') THEN COALESCE(resolved_at, closed_at)
                END
        FROM complaints
    """)
    _restart_ids("cases")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_interactions_case_id_cases"), "cases",
                                    ["case_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_interactions_case_id"), ["case_id"])
    op.execute("UPDATE interactions SET case_id = complaint_id")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interactions_complaint_id"))
        batch_op.drop_constraint(batch_op.f("fk_interactions_complaint_id_complaints"),
                                 type_="foreignkey")
        batch_op.drop_column("complaint_id")
    op.drop_table("outbox")
    op.drop_table("complaint_notes")
    op.drop_table("complaints")


def _restart_ids(table: str) -> None:
    """PostgreSQL: ids were copied, so the id sequence must start after the highest."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
