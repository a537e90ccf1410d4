"""Migration 0008: access-log rows so far were full records; residents already out of care
are dated from the upgrade (retention counts from then, never from an unknown past)."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from scheduler.extensions import db
from scheduler.models import Beneficiary, BeneficiaryAccess, Building


def test_upgrade_to_0008_keeps_the_log_and_dates_residents_out_of_care(app, drop_tables):
    drop_tables()
    with app.app_context():
        upgrade(revision="0006")
        # Core inserts of the columns that exist at 0006 (the models already have the new ones).
        station_at_0006 = sa.table(
            "station",
            *(sa.column(name) for name in ("id", "slug", "name", "community", "street_office")),
            *(sa.column(name) for name in ("address", "phone", "opening_hours", "active", "created_at")),
        )
        station_id = db.session.execute(
            sa.insert(station_at_0006)
            .values(
                slug="mig",
                name="迁移驿站",
                community="",
                street_office="",
                address="",
                phone="",
                opening_hours="",
                active=True,
                created_at=datetime(2025, 1, 1),
            )
            .returning(station_at_0006.c.id)
        ).scalar_one()
        building_id = db.session.execute(
            sa.insert(Building)
            .values(station_id=station_id, name="1号楼", sort_order=1)
            .returning(Building.id)
        ).scalar_one()
        ids = {}
        for name, active in (("在册", True), ("已离开", False)):
            ids[active] = db.session.execute(
                sa.insert(Beneficiary)
                .values(station_id=station_id, name=name, building_id=building_id, active=active)
                .returning(Beneficiary.id)
            ).scalar_one()
        access_at_0006 = sa.table(
            "beneficiary_access", *(sa.column(name) for name in ("station_id", "beneficiary_id", "at"))
        )
        db.session.execute(
            sa.insert(access_at_0006).values(
                station_id=station_id, beneficiary_id=ids[True], at=datetime(2025, 1, 1, 9, 0)
            )
        )
        db.session.commit()
        db.session.close()

        upgrade()

        left = dict(db.session.execute(sa.select(Beneficiary.active, Beneficiary.left_care_at)).all())
        assert left[True] is None
        assert datetime.now(UTC) - left[False] < timedelta(minutes=1)
        assert db.session.execute(sa.select(BeneficiaryAccess.kind, BeneficiaryAccess.task_id)).all() == [
            ("record", None)
        ]
        db.session.close()
        downgrade(revision="0006")
        upgrade()
