"""The two sections this area adds to ``/me``: my tasks (everyone), the station at a glance (staff)."""

import sqlalchemy as sa
from flask import current_app, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from scheduler.calendar_feed import FeedEvent
from scheduler.extensions import db
from scheduler.feedback import take_card_feedback
from scheduler.models import HELD_STATES, Beneficiary, Task, TaskState
from scheduler.tasks.dashboard import station_dashboard
from scheduler.tasks.forms import DeclineForm, DoneForm
from scheduler.visits.privacy import contact_shown_until, shows_contact, shows_personal_data
from scheduler.visits.services import record_contact_views


def with_resident():
    return joinedload(Task.beneficiary).joinedload(Beneficiary.building)


def task_anchor(task: Task) -> str:
    return f"task-{task.id}"


def card_context(
    task: Task, decline_form=None, done_form=None, message: str | None = None, feedback: str | None = None
) -> dict:
    """What the task card template needs; fresh empty forms unless a submitted one is passed back.

    ``message`` is a refusal, ``feedback`` what the volunteer's tap did; without JavaScript the
    feedback comes from the session (``scheduler.feedback``), for the card it was meant for.

    Does not log: callers pass the cards they show to ``log_contact_shown``.
    """
    return dict(
        task=task,
        held=task.is_held_by(current_user),
        show_contact=shows_contact(task, current_user),
        contact_until=contact_shown_until(task),
        decline_form=decline_form or DeclineForm(task.id, formdata=None),
        done_form=done_form or DoneForm(task.id, formdata=None),
        message=message,
        feedback=feedback or kept_feedback_for(task),
    )


def kept_feedback_for(task: Task) -> str | None:
    kept = take_card_feedback()
    return kept["message"] if kept and kept["anchor"] == task_anchor(task) else None


def log_contact_shown(user, cards: list[dict]) -> list[dict]:
    """Record in the access log every card of ``cards`` that shows a resident's contact details."""
    record_contact_views(user, [card["task"] for card in cards if card["show_contact"]])
    return cards


# Built once: /me runs them on every visit. Parameters: station_id, user_id.
_HELD = (
    sa.select(Task)
    .where(
        Task.station_id == sa.bindparam("station_id"),
        Task.assignee_id == sa.bindparam("user_id"),
        Task.state.in_(HELD_STATES),
    )
    .options(with_resident())
    .order_by(Task.starts_at, Task.id)
)
_CLAIMABLE = (
    sa.select(Task)
    .where(
        Task.station_id == sa.bindparam("station_id"),
        Task.state == TaskState.OPEN,
        Task.open_to_claim.is_(True),
    )
    .options(with_resident())
    .order_by(Task.starts_at, Task.id)
)


def my_tasks_section(user) -> dict:
    parameters = {"station_id": user.station_id, "user_id": user.id}
    held = db.session.scalars(_HELD, parameters).all()
    claimable = [] if user.is_staff else db.session.scalars(_CLAIMABLE, parameters).all()
    if held:
        shows_personal_data()
    return dict(cards=log_contact_shown(user, [card_context(task) for task in held]), claimable=claimable)


def staff_section(user) -> dict:
    return dict(counts=station_dashboard(user.station_id).counts())


def task_feed_events(user) -> list[FeedEvent]:
    """The person's current tasks for their phone calendar.

    Calendar apps copy feeds to other companies' servers and keep them, so an event
    says only the kind of task and the building; the resident's name, address and
    phone stay behind the task link, which checks who is asking.
    """
    tasks = db.session.scalars(
        sa.select(Task)
        .where(Task.assignee_id == user.id, Task.state.in_(HELD_STATES))
        .options(joinedload(Task.beneficiary).joinedload(Beneficiary.building))
    )
    base_url = current_app.config["BASE_URL"]
    host = base_url.split("://", 1)[-1]
    return [
        FeedEvent(
            uid=f"task-{task.id}@{host}",
            summary=f"{task.kind.label} · {task.beneficiary.building.name}",
            starts_at=task.starts_at,
            ends_at=task.ends_at,
            description=base_url + url_for("tasks.detail", task_id=task.id),
        )
        for task in tasks
    ]
