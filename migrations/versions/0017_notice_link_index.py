"""an index on the link of notices, to put away those of a task or request dealt with

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 05:30:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_link"), ["link"], unique=False)


def downgrade():
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_link"))
