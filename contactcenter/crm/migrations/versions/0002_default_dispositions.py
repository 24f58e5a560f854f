"""default disposition codes, so wrap-up works on a fresh database

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DISPOSITIONS = [
    ("resolved", "Resolved on the call"),
    ("callback", "Callback promised"),
    ("escalated", "Escalated"),
    ("sale", "Sale made"),
    ("info", "Information given"),
    ("wrong_number", "Wrong number"),
]


def upgrade() -> None:
    table = sa.table(
        "dispositions", sa.column("code", sa.String), sa.column("label", sa.String),
        sa.column("active", sa.Boolean),
    )  # fmt: skip
    op.bulk_insert(
        table, [{"code": code, "label": label, "active": True} for code, label in DISPOSITIONS]
    )


def downgrade() -> None:
    codes = ", ".join(f"'{code}'" for code, _ in DISPOSITIONS)
    op.execute(f"DELETE FROM dispositions WHERE code IN ({codes})")
