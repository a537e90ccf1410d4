"""Migration 0006 adds and removes the service link without touching the rows around shifts.

On SQLite a column change copies the table and drops the old one; with foreign keys
enforced that drop would delete every assignment and waiting-list entry and unlink
every shift from its series.
"""

from datetime import time

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from scheduler.extensions import db
from scheduler.models import Assignment, Shift, ShiftKind, WaitlistEntry
from scheduler.shifts import planning
from scheduler.shifts.planning import ShiftDetails
from tests.shifts.conftest import SHANGHAI, days_from_now


def rows_around_shifts() -> tuple:
    return (
        db.session.scalar(sa.select(sa.func.count(Assignment.id))),
        db.session.scalar(sa.select(sa.func.count(WaitlistEntry.id))),
        db.session.scalar(sa.select(sa.func.count(Shift.id)).where(Shift.series_id.is_not(None))),
    )


def test_migration_keeps_assignments_waiting_lists_and_series(app, drop_tables, make_station, make_user):
    drop_tables()
    with app.app_context():
        upgrade()
    station = make_station()
    first, second = make_user(station=station), make_user(station=station)
    with app.test_request_context():
        day = days_from_now(2).astimezone(SHANGHAI).date()
        details = ShiftDetails(
            kind=ShiftKind.DUTY,
            title="驿站值班",
            location="先锋驿站",
            start=time(9, 0),
            end=time(11, 30),
            capacity=1,
            self_signup=True,
        )
        (shift,) = planning.create_series(station.id, details, [day.isoweekday()], day, day)
        db.session.add_all(
            [
                Assignment(shift_id=shift.id, station_id=station.id, user_id=first.id, state="confirmed"),
                WaitlistEntry(shift_id=shift.id, station_id=station.id, user_id=second.id),
            ]
        )
        db.session.commit()
        before = rows_around_shifts()
        db.session.remove()
    assert before == (1, 1, 1)

    with app.app_context():
        downgrade(revision="-1")  # from 0006, the head, to the one before
        # The models have the new columns; count with plain SQL while the schema is older.
        counts = [
            db.session.execute(sa.text(sql)).scalar()
            for sql in (
                "SELECT count(*) FROM assignment",
                "SELECT count(*) FROM waitlist_entry",
                "SELECT count(*) FROM shift WHERE series_id IS NOT NULL",
            )
        ]
        db.session.remove()
        assert tuple(counts) == before
        upgrade()
        assert rows_around_shifts() == before
        db.session.remove()
