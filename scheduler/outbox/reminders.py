"""Notices that time brings, created by ``flask notices send`` when they are due.

Each has a reference that makes its key, so running every minute (or twice at once)
tells each person once: the evening before a shift and shortly before it, an
assignment still unanswered, a task not accepted in time (to the coordinators), the
weekly digest of overdue visits (to each building head) and the month's report (to
the secretary).
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Beneficiary,
    Building,
    Kind,
    Shift,
    Station,
    Task,
    TaskState,
    User,
)
from scheduler.notices import notify
from scheduler.outbox import messages
from scheduler.outbox.events import coordinators, secretaries, task_page
from scheduler.outbox.queue import link_to
from scheduler.shifts.formatting import shift_time
from scheduler.shifts.weeks import local_zone

log = logging.getLogger("scheduler.outbox")

EXPECTED = (AssignmentState.ASSIGNED, AssignmentState.CONFIRMED)


def _assignments(*criteria) -> list[Assignment]:
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .join(Shift, Shift.id == Assignment.shift_id)
            .where(Shift.cancelled_at.is_(None), Assignment.state.in_(EXPECTED), *criteria)
            .options(joinedload(Assignment.shift), joinedload(Assignment.user))
            .order_by(Assignment.id)
        ).unique()
    )


def _my_shifts() -> str:
    return link_to("me.home", _anchor="my-shifts")


def shift_reminders(now: datetime) -> int:
    """Tomorrow's shifts once the evening hour has come; every shift starting within a few hours.

    A shift soon enough for the second (00:30, seen at 23:30) gets that one alone, not both at once.
    """
    told = 0
    local = now.astimezone(local_zone())
    config = current_app.config
    soon = now + timedelta(hours=config["NOTICE_SOON_HOURS"])
    if local.hour >= config["NOTICE_EVENING_HOUR"]:
        tomorrow = datetime.combine(
            local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local_zone()
        )
        for assignment in _assignments(
            Shift.starts_at >= tomorrow,
            Shift.starts_at < tomorrow + timedelta(days=1),
            Shift.starts_at > soon,
        ):
            shift = assignment.shift
            text = _("Tomorrow: %(title)s, %(time)s.", title=shift.title, time=shift_time(shift))
            told += bool(
                notify(assignment.user, text, _my_shifts(), messages.shift_tomorrow(shift, assignment))
            )
    for assignment in _assignments(Shift.starts_at > now, Shift.starts_at <= soon):
        shift = assignment.shift
        text = _("Starting soon: %(title)s, %(time)s.", title=shift.title, time=shift_time(shift))
        told += bool(notify(assignment.user, text, _my_shifts(), messages.shift_soon(shift, assignment)))
    return told


def unanswered_assignments(now: datetime) -> int:
    """Put on a shift by staff and still silent after NOTICE_ANSWER_WITHIN_HOURS."""
    told = 0
    cutoff = now - timedelta(hours=current_app.config["NOTICE_ANSWER_WITHIN_HOURS"])
    for assignment in _assignments(
        Assignment.state == AssignmentState.ASSIGNED, Assignment.created_at <= cutoff, Shift.starts_at > now
    ):
        shift = assignment.shift
        text = _(
            "Please answer: are you coming to %(title)s, %(time)s?", title=shift.title, time=shift_time(shift)
        )
        told += bool(notify(assignment.user, text, _my_shifts(), messages.answer_awaited(shift, assignment)))
    return told


def unaccepted_tasks(now: datetime) -> int:
    """Tasks assigned longer ago than TASK_ACCEPT_WITHIN_HOURS and not accepted: to the coordinators."""
    told = 0
    cutoff = now - timedelta(hours=current_app.config["TASK_ACCEPT_WITHIN_HOURS"])
    tasks = db.session.scalars(
        sa.select(Task)
        .where(Task.state == TaskState.ASSIGNED, Task.state_changed_at <= cutoff)
        .options(joinedload(Task.beneficiary).joinedload(Beneficiary.building))
        .order_by(Task.id)
    ).all()
    for task in tasks:
        ref = f"{task.id}-{int(task.state_changed_at.timestamp())}"
        for user in coordinators(task.station_id):
            text = _("A home-visit task has not been accepted in time. Please follow up.")
            told += bool(
                notify(
                    user,
                    text,
                    task_page(task),
                    messages.task_not_accepted(task, ref),
                )
            )
    return told


def overdue_digests(now: datetime) -> int:
    """On Mondays from the morning hour: each building head hears how many visits are overdue."""
    local = now.astimezone(local_zone())
    if local.isoweekday() != 1 or local.hour < current_app.config["NOTICE_MORNING_HOUR"]:
        return 0
    year, week, _day = local.isocalendar()
    week_key = f"{year}-W{week:02d}"
    overdue = dict(
        db.session.execute(
            sa.select(Beneficiary.building_id, sa.func.count())
            .where(Beneficiary.is_overdue(now))
            .group_by(Beneficiary.building_id)
        ).all()
    )
    if not overdue:
        return 0
    heads = db.session.scalars(
        sa.select(User)
        .where(User.active.is_(True), User.kind == Kind.BUILDING_HEAD, User.building_id.in_(overdue))
        .options(joinedload(User.building))
        .order_by(User.id)
    ).all()
    told = 0
    for head in heads:
        building: Building = head.building
        count = overdue[building.id]
        text = _("%(building)s: %(count)s home visits are overdue.", building=building.name, count=count)
        told += bool(
            notify(head, text, link_to("me.home"), messages.overdue_digest(building, count, week_key))
        )
    return told


def report_ready(now: datetime) -> int:
    """On the first of the month from the morning hour: last month's report, to the secretary."""
    from scheduler.reports.months import month_key, month_label

    local = now.astimezone(local_zone())
    if local.day != 1 or local.hour < current_app.config["NOTICE_MORNING_HOUR"]:
        return 0
    first = (local.date() - timedelta(days=1)).replace(day=1)
    told = 0
    link = link_to("reports.month", month=month_key(first))
    for station_id in db.session.scalars(sa.select(Station.id).where(Station.active.is_(True))):
        for user in secretaries(station_id):
            with messages.station_language():
                label = month_label(first)
            text = _("The report for %(month)s is ready.", month=month_label(first))
            told += bool(notify(user, text, link, messages.report_ready(label, month_key(first))))
    return told


REMINDERS = (shift_reminders, unanswered_assignments, unaccepted_tasks, overdue_digests, report_ready)


def create_due_reminders(now: datetime) -> int:
    """Every kind of reminder that is due, each committed on its own."""
    total = 0
    for reminder in REMINDERS:
        try:
            total += reminder(now)
            db.session.commit()
        except IntegrityError:
            # Another run queued the same reminders in the meantime: they exist, which is the point.
            db.session.rollback()
            log.info("reminders %s were queued by another run", reminder.__name__)
    return total
