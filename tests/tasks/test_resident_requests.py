"""The seam for "a resident's request becomes a task in one step"."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Beneficiary, Task, TaskEvent, TaskKind, TaskState, User
from scheduler.rules import RuleViolation
from scheduler.tasks.services import add_task_for_resident
from tests.factories_visits import building_of


def from_request(app, station, admin, **overrides) -> int:
    with app.test_request_context():
        start = utcnow()
        fields = dict(
            station_id=station.id,
            created_by=db.session.get(User, admin.id),
            name="钱凤英",
            building_id=building_of(station, 2).id,
            unit="1单元",
            room="402",
            phone="13800002222",
            kind=TaskKind.MEDICINE,
            starts_at=start,
            ends_at=start + timedelta(days=1),
            instructions="降压药",
        )
        fields.update(overrides)
        task = add_task_for_resident(**fields)
        db.session.commit()
        return task.id


def test_a_request_from_someone_new_registers_them_with_only_what_they_gave(app, station, station_admin):
    task_id = from_request(app, station, station_admin)
    with app.app_context():
        task = db.session.get(Task, task_id)
        resident = task.beneficiary
        assert (task.state, task.kind, task.instructions) == (TaskState.OPEN, TaskKind.MEDICINE, "降压药")
        assert (resident.name, resident.address, resident.phone) == ("钱凤英", "2号楼1单元402", "13800002222")
        assert (resident.care_notes, resident.emergency_name, resident.visit_every_days) == ("", "", None)
        assert db.session.scalar(sa.select(sa.func.count()).where(TaskEvent.task_id == task_id)) == 1


def test_a_request_from_someone_in_the_register_uses_their_record(
    app, station, station_admin, make_beneficiary
):
    known = make_beneficiary(name="钱凤英", building=2, unit="1单元", room="402", care_notes="耳背")
    task_id = from_request(app, station, station_admin)
    with app.app_context():
        assert db.session.get(Task, task_id).beneficiary_id == known.id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Beneficiary)) == 1


def test_a_request_with_a_bad_window_changes_nothing(app, station, station_admin):
    with pytest.raises(RuleViolation):
        from_request(app, station, station_admin, ends_at=utcnow() - timedelta(days=1))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Beneficiary)) == 0
