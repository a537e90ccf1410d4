"""Factories for shift tests: shifts at local times, people placed directly on them."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import has_app_context

from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Service,
    ServiceCategory,
    Shift,
    ShiftKind,
    WaitlistEntry,
)
from tests.conftest import persist

SHANGHAI = ZoneInfo("Asia/Shanghai")
HTMX = {"HX-Request": "true"}


def local(day, at: time) -> datetime:
    """An aware UTC instant for a local Shanghai date and time."""
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


def days_from_now(days: int, at: time = time(9, 0)) -> datetime:
    today = datetime.now(SHANGHAI).date()
    return local(today + timedelta(days=days), at)


def this_week(weekday: int, at: time = time(9, 0), weeks: int = 0) -> datetime:
    """``weekday`` (0 = Monday … 6 = Sunday) of this local week, or ``weeks`` later, at ``at``.

    For tests about "this week": a day picked from today would fall into the next week on a
    Sunday (or the last week on a Monday).
    """
    today = datetime.now(SHANGHAI).date()
    monday = today - timedelta(days=today.weekday())
    return local(monday + timedelta(weeks=weeks, days=weekday), at)


@pytest.fixture
def make_shift(app, station):
    """``make_shift(starts_at=..., hours=2.5, capacity=2, ...)``; by default tomorrow 09:00 local."""

    def make(station=station, starts_at: datetime | None = None, hours: float = 2.5, **fields) -> Shift:
        starts_at = starts_at or days_from_now(1)
        fields.setdefault("title", "驿站值班")
        fields.setdefault("location", "先锋驿站")
        fields.setdefault("capacity", 2)
        fields.setdefault("kind", ShiftKind.DUTY)
        return persist(
            app,
            Shift(
                station_id=station.id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=hours),
                **fields,
            ),
        )

    return make


@pytest.fixture
def make_menu_service(app, station):
    """``make_menu_service("剪纸兴趣班", category="文化活动", published=True, station=...)``."""

    def make(title: str, category: str = "文化活动", station=station, **fields) -> Service:
        with app.app_context():
            heading = db.session.scalar(
                sa.select(ServiceCategory).filter_by(station_id=station.id, name=category)
            ) or ServiceCategory(station_id=station.id, name=category)
            db.session.add(heading)
            db.session.commit()
            category_id = heading.id
        fields.setdefault("published", True)
        return persist(app, Service(station_id=station.id, category_id=category_id, title=title, **fields))

    return make


@pytest.fixture
def place(app):
    """Put a person on a shift directly, bypassing the rules (to arrange a test's starting point)."""

    def put(shift: Shift, user, state: AssignmentState = AssignmentState.CONFIRMED, **fields) -> Assignment:
        return persist(
            app,
            Assignment(
                shift_id=shift.id, station_id=shift.station_id, user_id=user.id, state=state, **fields
            ),
        )

    return put


@pytest.fixture
def wait(app):
    def join(shift: Shift, user) -> WaitlistEntry:
        return persist(app, WaitlistEntry(shift_id=shift.id, station_id=shift.station_id, user_id=user.id))

    return join


@pytest.fixture
def read(app):
    """Run ``function(session)`` in a fresh application context and return its result."""

    def run(function):
        if has_app_context():
            # A service test's own session may hold SQLite's write lock after touching a record.
            db.session.rollback()
        with app.app_context():
            return function(db.session)

    return run


@pytest.fixture
def in_app(app):
    """An application context inside a test request, for calling services directly."""
    with app.test_request_context():
        yield
        db.session.remove()


def settle(records):
    """Records a service returned, loaded and detached, with the test's transaction ended.

    Touching an expired record would open a transaction in the test's own session and
    hold SQLite's write lock, blocking the factories' sessions.
    """
    for record in records:
        db.session.refresh(record)
    db.session.expunge_all()
    db.session.rollback()
    return records


def details_of(shift: Shift, **changes) -> tuple:
    """The local day and planner's details of an existing shift, with some changed."""
    from scheduler.shifts.planning import ShiftDetails

    starts, ends = shift.starts_at.astimezone(SHANGHAI), shift.ends_at.astimezone(SHANGHAI)
    fields = dict(
        kind=shift.kind,
        title=shift.title,
        location=shift.location,
        start=starts.time(),
        end=ends.time(),
        capacity=shift.capacity,
        self_signup=shift.self_signup,
        notes=shift.notes,
    )
    return starts.date(), ShiftDetails(**{**fields, **changes})


def week_of(moment: datetime) -> str:
    """The board address of the local week holding ``moment``."""
    day = moment.astimezone(SHANGHAI).date()
    return f"/shifts/week/{(day - timedelta(days=day.weekday())).isoformat()}"
