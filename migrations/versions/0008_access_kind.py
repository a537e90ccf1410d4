"""the access log tells a full record from contact details shown on a task card;
residents note when they left care and when retention erased their personal data

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 06:45:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import scheduler.database


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("beneficiary_access", schema=None) as batch_op:
        # Every row logged so far was the opening of a full record.
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("record", "contact", name="accesskind", native_enum=False, length=20),
                nullable=False,
                server_default="record",
            )
        )
        batch_op.add_column(sa.Column("task_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_beneficiary_access_task_id"), ["task_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_beneficiary_access_task_id_task"), "task", ["task_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("beneficiary_access", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)

    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_care_at", scheduler.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("erased_at", scheduler.database.UTCDateTime(), nullable=True))
    # When residents already out of care left is unknown: retention counts from this upgrade.
    beneficiary = sa.table("beneficiary", sa.column("active", sa.Boolean), sa.column("left_care_at", sa.DateTime))
    op.execute(
        beneficiary.update()
        .where(beneficiary.c.active.is_(False))
        .values(left_care_at=datetime.now(UTC).replace(tzinfo=None))
    )


def downgrade():
    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("left_care_at")
    with op.batch_alter_table("beneficiary_access", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_beneficiary_access_task_id_task"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_beneficiary_access_task_id"))
        batch_op.drop_column("task_id")
        batch_op.drop_column("kind")
