"""Who hears of what: the people an event concerns, told through ``notify``.

Each function runs inside the transaction of its event and never commits.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Role,
    ServiceRequest,
    Shift,
    ShiftKind,
    Task,
    User,
)
from scheduler.notices import notify, put_away_notices
from scheduler.outbox import messages
from scheduler.outbox.queue import link_to

ON_DUTY_STATES = (AssignmentState.ASSIGNED, AssignmentState.CONFIRMED, AssignmentState.ATTENDED)


def _active(station_id: int, *criteria) -> sa.Select:
    return (
        sa.select(User)
        .where(User.station_id == station_id, User.active.is_(True), *criteria)
        .order_by(User.id)
    )


def secretaries(station_id: int) -> list[User]:
    return list(db.session.scalars(_active(station_id, User.role == Role.ADMIN)))


def coordinators(station_id: int) -> list[User]:
    """The station's coordinators; the secretary when it has none."""
    return list(db.session.scalars(_active(station_id, User.role == Role.COORDINATOR))) or secretaries(
        station_id
    )


def on_duty(station_id: int, now: datetime) -> list[User]:
    """People on a station duty shift that is under way now."""
    on_shift = (
        sa.select(Assignment.user_id)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Shift.station_id == station_id,
            Shift.kind == ShiftKind.DUTY,
            Shift.cancelled_at.is_(None),
            Shift.starts_at <= now,
            Shift.ends_at > now,
            Assignment.state.in_(ON_DUTY_STATES),
        )
    )
    return list(db.session.scalars(_active(station_id, User.id.in_(on_shift))))


def task_page(task: Task) -> str:
    """Where every notice about a task points, and so how they are found again."""
    return link_to("tasks.detail", task_id=task.id)


def request_page(service_request: ServiceRequest) -> str:
    return link_to("requests.detail", request_id=service_request.id)


def request_filed(service_request: ServiceRequest) -> None:
    """A resident's new request: the coordinators and whoever is on duty hear of it."""
    people = {user.id: user for user in coordinators(service_request.station_id)}
    people.update((user.id, user) for user in on_duty(service_request.station_id, utcnow()))
    text = _(
        "New request %(reference)s: %(service)s.",
        reference=service_request.reference,
        service=service_request.service.title,
    )
    link = request_page(service_request)
    for user in people.values():
        notify(user, text, link, messages.request_filed(service_request))


def request_taken_up(service_request: ServiceRequest) -> None:
    """A request moved on (taken up, scheduled, declined or done): the notices asking staff to
    take it up are put away. Called on every move; after the first there is nothing left."""
    put_away_notices(request_page(service_request))


def task_assigned(task: Task, assignee: User, actor: User | None) -> None:
    """A home-visit task given to someone by someone else (taking one yourself needs no notice)."""
    if actor is not None and actor.id == assignee.id:
        return
    ref = f"{task.id}-{int(task.state_changed_at.timestamp())}"
    notify(
        assignee,
        _("A home-visit task was given to you. Please accept or decline."),
        task_page(task),
        messages.task_assigned(task, ref),
    )


def task_answered(task: Task) -> None:
    """A task no longer waits for its volunteer's answer (accepted, given back, taken back or
    cancelled): the notices asking for one, hers and the coordinators', are put away. A red
    flag, raised later, when the visit is done, stays."""
    put_away_notices(task_page(task))


def red_flag(task: Task, record_id: int) -> None:
    """A visit found a concern: the secretary hears at once, quiet hours or not."""
    for user in secretaries(task.station_id):
        notify(
            user,
            _("A home visit raised a red flag. Please look at it now."),
            task_page(task),
            messages.red_flag(task, record_id),
        )
