"""stations carry a version of what their public pages show, bumped by every write to it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('public_version')
