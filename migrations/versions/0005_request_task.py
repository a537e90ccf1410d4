"""a task knows the resident's request it came from

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:16:05.835526

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

LIVE_TASK_OF_REQUEST = sa.text("service_request_id IS NOT NULL AND state != 'cancelled'")


# SQLite rebuilds ``task`` here; migrations/env.py turns foreign keys off around it, so
# the DROP of the old table does not cascade into the tasks' history and visit records.


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_task_service_request_id'), ['service_request_id'], unique=False)
        batch_op.create_index(
            'uq_task_live_service_request',
            ['service_request_id'],
            unique=True,
            sqlite_where=LIVE_TASK_OF_REQUEST,
            postgresql_where=LIVE_TASK_OF_REQUEST,
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_task_service_request_id_service_request'),
            'service_request',
            ['service_request_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_task_service_request_id_service_request'), type_='foreignkey')
        batch_op.drop_index('uq_task_live_service_request')
        batch_op.drop_index(batch_op.f('ix_task_service_request_id'))
        batch_op.drop_column('service_request_id')
