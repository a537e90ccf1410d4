"""What the shift pages show, each read in a fixed number of queries whatever the data."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from scheduler.access import in_station
from scheduler.calendar_feed import FeedEvent
from scheduler.database import seconds_between, utcnow
from scheduler.extensions import db
from scheduler.models import (
    PLACE_HOLDING_STATES,
    STATION_ROLES,
    Assignment,
    AssignmentState,
    Role,
    Shift,
    ShiftKind,
    User,
    WaitlistEntry,
)
from scheduler.shifts.availability import free_times_text, people_facts
from scheduler.shifts.weeks import local_today, month_bounds, to_local, week_bounds, week_days, week_start

# States whose hours count as planned or done work when sharing work fairly.
# Hours are shown split: done (attended) and planned (still to come or unanswered), never mixed.
DONE_STATES = (AssignmentState.ATTENDED,)
PLANNED_STATES = (AssignmentState.ASSIGNED, AssignmentState.CONFIRMED)


def waiting_counts(shift_ids: list[int]) -> dict[int, int]:
    if not shift_ids:
        return {}
    rows = db.session.execute(
        sa.select(WaitlistEntry.shift_id, sa.func.count(WaitlistEntry.id))
        .where(WaitlistEntry.shift_id.in_(shift_ids))
        .group_by(WaitlistEntry.shift_id)
    )
    return dict(rows.all())


def taken_counts(shift_ids: list[int]) -> dict[int, int]:
    if not shift_ids:
        return {}
    rows = db.session.execute(
        sa.select(Assignment.shift_id, sa.func.count(Assignment.id))
        .where(Assignment.shift_id.in_(shift_ids), Assignment.state.in_(PLACE_HOLDING_STATES))
        .group_by(Assignment.shift_id)
    )
    return dict(rows.all())


def shift_seconds_by_person(station_id: int, states) -> sa.Select:
    """(person, seconds) of the live shifts they hold a place on in ``states``: the one
    definition of time spent on shifts, which callers narrow by dates or group further."""
    return (
        sa.select(Assignment.user_id, sa.func.sum(seconds_between(Shift.starts_at, Shift.ends_at)))
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.station_id == station_id,
            Assignment.state.in_(states),
            Shift.cancelled_at.is_(None),
        )
        .group_by(Assignment.user_id)
    )


def hours_by_person(
    station_id: int,
    states,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: int | None = None,
) -> dict[int, float]:
    """Hours of shifts starting in [since, until) per person, counting assignments in ``states``.

    Attended states give service hours (see ``scheduler.reports.hours``), planned ones the
    load the picker shares out. Summed in SQL, one row per person whatever the number of shifts.
    """
    query = shift_seconds_between(station_id, states, since, until, user_id)
    return {person: float(seconds) / 3600 for person, seconds in db.session.execute(query)}


def shift_seconds_between(station_id, states, since=None, until=None, user_id=None) -> sa.Select:
    """``shift_seconds_by_person`` of shifts starting in [since, until), of one person if given:
    values, or bind parameters for a statement built once."""
    query = shift_seconds_by_person(station_id, states)
    if since is not None:
        query = query.where(Shift.starts_at >= since)
    if until is not None:
        query = query.where(Shift.starts_at < until)
    if user_id is not None:
        query = query.where(Assignment.user_id == user_id)
    return query


def no_show_counts(station_id: int) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Assignment.user_id, sa.func.count(Assignment.id))
        .where(Assignment.station_id == station_id, Assignment.state == AssignmentState.NO_SHOW)
        .group_by(Assignment.user_id)
    )
    return dict(rows.all())


def station_people(station_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.station_id == station_id, User.active, User.role.in_(STATION_ROLES))
            .options(selectinload(User.building))
            .order_by(User.display_name, User.id)
        )
    )


# The week board ------------------------------------------------------------------------


@dataclass
class BoardDay:
    day: date
    shifts: list[Shift]


@dataclass
class WeekBoard:
    monday: date
    days: list[BoardDay]
    waiting: dict[int, int]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def shifts(self) -> list[Shift]:
        return [shift for day in self.days for shift in day.shifts]

    @property
    def unfilled(self) -> int:
        return sum(1 for shift in self.shifts if shift.is_unfilled)

    @property
    def is_current(self) -> bool:
        return self.monday == week_start(local_today())


def week_shifts(monday: date) -> list[Shift]:
    """The current station's shifts starting in the local week, with their people."""
    start, end = week_bounds(monday)
    return list(
        db.session.scalars(
            in_station(Shift, Shift.starts_at >= start, Shift.starts_at < end)
            .options(
                selectinload(Shift.assignments).selectinload(Assignment.user),
                selectinload(Shift.service),
            )
            .order_by(Shift.starts_at, Shift.location, Shift.id)
        )
    )


def week_board(monday: date) -> WeekBoard:
    shifts = week_shifts(monday)
    by_day: dict[date, list[Shift]] = defaultdict(list)
    for shift in shifts:
        by_day[to_local(shift.starts_at).date()].append(shift)
    days = [BoardDay(day, by_day.get(day, [])) for day in week_days(monday)]
    return WeekBoard(monday, days, waiting_counts([shift.id for shift in shifts]))


def waitlist_of(shift: Shift) -> list[WaitlistEntry]:
    """The people waiting for a place, first come first served."""
    return list(
        db.session.scalars(
            sa.select(WaitlistEntry)
            .where(WaitlistEntry.shift_id == shift.id)
            .options(selectinload(WaitlistEntry.user))
            .order_by(WaitlistEntry.id)
        )
    )


# The picker: who is free for a shift, and how much they already do -------------------------


@dataclass
class Candidate:
    user: User
    month_done: float
    month_planned: float
    no_shows: int
    busy_with: Shift | None = None
    on_this_shift: Assignment | None = None
    usually: str = ""  # what they said about being free then (see free_times_text)

    @property
    def can_be_assigned(self) -> bool:
        return self.busy_with is None and (self.on_this_shift is None or not self.on_this_shift.holds_place)

    @property
    def month_hours(self) -> float:
        """Done and planned together: who carries least this month is asked first."""
        return self.month_done + self.month_planned


def candidates_for(shift: Shift, search: str = "") -> list[Candidate]:
    """Everyone who could be on the shift: free people first, fewest hours this month first."""
    people = station_people(shift.station_id)
    busy_rows = db.session.execute(
        Assignment.places_held_between(shift.station_id, shift.starts_at, shift.ends_at).where(
            Shift.id != shift.id
        )
    )
    busy = {user_id: other for user_id, other in busy_rows}
    on_shift = {
        a.user_id: a for a in db.session.scalars(sa.select(Assignment).where(Assignment.shift_id == shift.id))
    }
    since, until = month_bounds(to_local(shift.starts_at).date())
    month_done = hours_by_person(shift.station_id, DONE_STATES, since, until)
    month_planned = hours_by_person(shift.station_id, PLANNED_STATES, since, until)
    no_shows = no_show_counts(shift.station_id)
    day = to_local(shift.starts_at).date()
    facts = people_facts(shift.station_id, day, day)
    needle = search.strip().lower()
    candidates = [
        Candidate(
            user=person,
            month_done=month_done.get(person.id, 0.0),
            month_planned=month_planned.get(person.id, 0.0),
            no_shows=no_shows.get(person.id, 0),
            busy_with=busy.get(person.id),
            on_this_shift=on_shift.get(person.id),
            usually=free_times_text(facts.get(person.id), shift),
        )
        for person in people
        # Someone away that day is never offered (unless already on the shift).
        if not (person.id in facts and facts[person.id].is_away(day) and person.id not in on_shift)
        if not needle
        or needle in person.display_name.lower()
        or needle in person.username
        or (person.building and needle in person.building.name.lower())
    ]
    return sorted(
        candidates,
        key=lambda c: (not c.can_be_assigned, c.user.role != Role.VOLUNTEER, c.month_hours),
    )


# The people overview -----------------------------------------------------------------------


@dataclass
class PersonHours:
    user: User
    month_attended: float
    month_planned: float
    total_attended: float
    no_shows: int


def people_hours(station_id: int, month: date) -> list[PersonHours]:
    since, until = month_bounds(month)
    month_attended = hours_by_person(station_id, DONE_STATES, since, until)
    month_planned = hours_by_person(station_id, PLANNED_STATES, since, until)
    total = hours_by_person(station_id, DONE_STATES)
    no_shows = no_show_counts(station_id)
    return [
        PersonHours(
            user=person,
            month_attended=month_attended.get(person.id, 0.0),
            month_planned=month_planned.get(person.id, 0.0),
            total_attended=total.get(person.id, 0.0),
            no_shows=no_shows.get(person.id, 0),
        )
        for person in station_people(station_id)
    ]


# Calendar feed ---------------------------------------------------------------------------------

# The feed shows a month of the past, so that recent shifts stay in the phone's calendar.
FEED_HISTORY_DAYS = 31


def shift_feed_events(user: User) -> list[FeedEvent]:
    """The person's shifts (not declined ones); cancelled shifts stay in, marked cancelled."""
    since = utcnow() - timedelta(days=FEED_HISTORY_DAYS)
    assignments = db.session.scalars(
        sa.select(Assignment)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.user_id == user.id,
            Assignment.state.in_(PLACE_HOLDING_STATES),
            Shift.ends_at > since,
        )
        .options(selectinload(Assignment.shift))
    )
    host = current_app.config["BASE_URL"].split("://", 1)[-1]
    return [
        FeedEvent(
            uid=f"shift-{a.shift.id}@{host}",
            summary=a.shift.title,
            starts_at=a.shift.starts_at,
            ends_at=a.shift.ends_at,
            location=a.shift.location,
            description=a.shift.notes,
            cancelled=a.shift.cancelled,
        )
        for a in assignments
    ]


# The public menu -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityDate:
    """When and where an activity takes place: all the public learns of a shift (no people)."""

    starts_at: datetime
    ends_at: datetime
    location: str


def coming_activity_dates(
    station_id: int, service_ids: list[int], per_service: int
) -> dict[int, list[ActivityDate]]:
    """The next ``per_service`` activities linked to each service, not cancelled, in one query."""
    if not service_ids:
        return {}
    position = (
        sa.func.row_number()
        .over(partition_by=Shift.service_id, order_by=(Shift.starts_at, Shift.id))
        .label("position")
    )
    coming = (
        sa.select(Shift.service_id, Shift.starts_at, Shift.ends_at, Shift.location, position)
        .where(
            Shift.station_id == station_id,
            Shift.service_id.in_(service_ids),
            Shift.kind == ShiftKind.ACTIVITY,
            Shift.cancelled_at.is_(None),
            Shift.starts_at > utcnow(),
        )
        .subquery()
    )
    rows = db.session.execute(
        sa.select(coming.c.service_id, coming.c.starts_at, coming.c.ends_at, coming.c.location)
        .where(coming.c.position <= per_service)
        .order_by(coming.c.service_id, coming.c.position)
    )
    dates: dict[int, list[ActivityDate]] = defaultdict(list)
    for service_id, starts_at, ends_at, location in rows:
        dates[service_id].append(ActivityDate(starts_at, ends_at, location))
    return dates
