"""Migration 0005 adds the task's link to its request without losing any task's history.

On SQLite, batch mode rebuilds the ``task`` table; with foreign keys enforced, dropping
the old table would cascade into the history and visit records, so migrations/env.py
pauses enforcement while migrating. These rows prove it, on SQLite and PostgreSQL alike.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models import Beneficiary, Building, Task, TaskEvent, TaskKind, TaskState


def history_rows() -> int:
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(TaskEvent))
    db.session.close()  # SQLite: a read holds the write lock the migration needs
    return rows


def test_upgrading_to_0005_and_back_keeps_every_tasks_history(app, drop_tables):
    drop_tables()
    with app.app_context():
        upgrade(revision="0004")
        # Core insert of the station's columns at 0004 (the model has later ones).
        texts = ("slug", "name", "community", "street_office", "address", "phone", "opening_hours")
        station_0004 = sa.table(
            "station",
            sa.column("id"),
            *map(sa.column, texts),
            sa.column("active"),
            sa.column("created_at", UTCDateTime),
        )
        station_id = db.session.execute(
            sa.insert(station_0004)
            .values(dict.fromkeys(texts, ""))
            .values(slug="mig", name="迁移驿站", active=True, created_at=utcnow())
            .returning(station_0004.c.id)
        ).scalar_one()
        # Core inserts of the columns that exist at 0004 (the models already have later ones; an
        # ORM flush of a building would also bump the station's public_version, which comes in 0009).
        building_id = db.session.execute(
            sa.insert(Building)
            .values(station_id=station_id, name="1号楼", sort_order=1)
            .returning(Building.id)
        ).scalar_one()
        resident_id = db.session.execute(
            sa.insert(Beneficiary)
            .values(station_id=station_id, name="老人", building_id=building_id, room="101")
            .returning(Beneficiary.id)
        ).scalar_one()
        start = utcnow()
        task_id = db.session.execute(
            sa.insert(Task)
            .values(
                station_id=station_id,
                beneficiary_id=resident_id,
                kind=TaskKind.VISIT,
                state=TaskState.OPEN,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                instructions="",
                open_to_claim=False,
            )
            .returning(Task.id)
        ).scalar_one()
        db.session.add(TaskEvent(task_id=task_id, to_state=TaskState.OPEN))
        db.session.commit()
        db.session.close()

        upgrade()
        assert history_rows() == 1
        downgrade(revision="0004")
        assert history_rows() == 1
        upgrade()
        assert history_rows() == 1
