"""Factories for the home-visit areas: beneficiaries and tasks brought to any state.

Tasks reach their state through the real services (so their history is genuine); the
records handed back are detached, their columns loaded.
"""

from datetime import timedelta
from itertools import count

import pytest
import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Beneficiary, Building, Health, Role, Task, TaskKind, TaskState, User
from scheduler.tasks import services
from scheduler.tasks.services import Checklist

_numbers = count(1)


def building_of(station, number: int) -> Building:
    """The building "<number>号楼" of a station (call inside an app context)."""
    return db.session.scalar(
        sa.select(Building).where(Building.station_id == station.id, Building.sort_order == number)
    )


def detached(record):
    db.session.refresh(record)
    db.session.expunge(record)
    return record


@pytest.fixture
def make_beneficiary(app, station):
    def make(station=station, building: int = 1, **fields) -> Beneficiary:
        number = next(_numbers)
        with app.app_context():
            beneficiary = Beneficiary(
                station_id=station.id,
                building_id=building_of(station, building).id,
                name=fields.pop("name", f"老人{number}"),
                unit=fields.pop("unit", "1单元"),
                room=fields.pop("room", f"{100 + number}"),
                phone=fields.pop("phone", f"1380000{number:04d}"),
                **fields,
            )
            beneficiary.refresh_visit_due(utcnow())
            db.session.add(beneficiary)
            db.session.commit()
            return detached(beneficiary)

    return make


@pytest.fixture
def station_admin(make_user):
    return make_user(Role.ADMIN, display_name="书记")


@pytest.fixture
def make_task(app, make_beneficiary, station_admin):
    """``make_task(state=TaskState.ACCEPTED, assignee=volunteer)``: a task brought to that state."""

    def make(
        state: TaskState = TaskState.OPEN,
        assignee: User | None = None,
        beneficiary: Beneficiary | None = None,
        staff: User | None = None,
        kind: TaskKind = TaskKind.VISIT,
        starts_in: timedelta = timedelta(hours=2),
        duration: timedelta = timedelta(hours=2),
        open_to_claim: bool = False,
    ) -> Task:
        beneficiary = beneficiary or make_beneficiary()
        staff = staff or station_admin
        # Services speak the user's language when they refuse; a request context gives them one.
        with app.test_request_context():
            staff = db.session.get(User, staff.id)
            holder = db.session.get(User, assignee.id) if assignee else None
            starts_at = utcnow() + starts_in
            task = services.create_task(
                station_id=beneficiary.station_id,
                beneficiary=db.session.get(Beneficiary, beneficiary.id),
                kind=kind,
                starts_at=starts_at,
                ends_at=starts_at + duration,
                instructions="带上血压计",
                created_by=staff,
                open_to_claim=open_to_claim,
            )
            if state in (TaskState.ASSIGNED, TaskState.ACCEPTED, TaskState.DONE, TaskState.DECLINED):
                services.assign(task, holder, staff)
            if state in (TaskState.ACCEPTED, TaskState.DONE):
                services.accept(task, holder)
            if state == TaskState.DONE:
                services.complete(task, holder, Checklist(Health.GOOD), "一切都好", 30)
            if state == TaskState.DECLINED:
                services.decline(task, holder, "临时有事")
            if state == TaskState.CANCELLED:
                services.cancel(task, staff, "不需要了")
            return detached(db.session.get(Task, task.id))

    return make
