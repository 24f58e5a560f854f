"""the caller's post-call survey rating on each interaction (1-5; none when not rated)

Revision ID: 0004_interaction_survey
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_interaction_survey"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("survey_score", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("survey_score")
