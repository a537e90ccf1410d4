"""The two sections this area adds to ``/me``: my tasks (everyone), the station at a glance (staff)."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import HELD_STATES, Beneficiary, Task, TaskState
from scheduler.tasks.dashboard import build_dashboard
from scheduler.tasks.forms import DeclineForm, DoneForm
from scheduler.visits.privacy import shows_personal_data


def with_resident():
    return joinedload(Task.beneficiary).joinedload(Beneficiary.building)


def card_context(task: Task, decline_form=None, done_form=None, message: str | None = None) -> dict:
    """What the task card template needs; fresh empty forms unless a submitted one is passed back."""
    return dict(
        task=task,
        decline_form=decline_form or DeclineForm(task.id, formdata=None),
        done_form=done_form or DoneForm(task.id, formdata=None),
        message=message,
    )


def my_tasks_section(user) -> dict:
    held = db.session.scalars(
        sa.select(Task)
        .where(
            Task.station_id == user.station_id,
            Task.assignee_id == user.id,
            Task.state.in_(HELD_STATES),
        )
        .options(with_resident())
        .order_by(Task.starts_at, Task.id)
    ).all()
    claimable = []
    if not user.is_staff:
        claimable = db.session.scalars(
            sa.select(Task)
            .where(
                Task.station_id == user.station_id,
                Task.state == TaskState.OPEN,
                Task.open_to_claim.is_(True),
            )
            .options(with_resident())
            .order_by(Task.starts_at, Task.id)
        ).all()
    if held:
        shows_personal_data()
    return dict(cards=[card_context(task) for task in held], claimable=claimable)


def staff_section(user) -> dict:
    return dict(counts=build_dashboard(user.station_id, utcnow()).counts())
