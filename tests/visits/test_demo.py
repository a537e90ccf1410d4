"""The demo station has residents in care and tasks in every state; seeding twice adds nothing."""

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.demo import DEFAULT_DEMO_PASSWORD, seed_demo
from scheduler.extensions import db
from scheduler.models import Beneficiary, Task, TaskBatch, TaskState, VisitRecord


def counts() -> tuple:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Beneficiary, Task, VisitRecord, TaskBatch)
    )


def test_demo_has_a_living_home_visit_service_and_seeding_again_changes_nothing(app, demo):
    with app.app_context():  # as the CLI runs it: no request
        first = counts()
        seed_demo(DEFAULT_DEMO_PASSWORD)
        assert counts() == first
        assert 35 <= first[0] <= 45
        states = set(db.session.scalars(sa.select(Task.state).distinct()))
        assert states == set(TaskState)
        assert db.session.scalar(
            sa.select(sa.func.count()).where(VisitRecord.flagged.is_(True), VisitRecord.handled_at.is_(None))
        )
        now = utcnow()
        overdue_tasks = [task for task in db.session.scalars(sa.select(Task)) if task.is_overdue(now)]
        assert len(overdue_tasks) >= 2
        buildings = set(db.session.scalars(sa.select(Beneficiary.building_id).distinct()))
        assert len(buildings) == 21
