"""Service hours: the one definition, from attended shifts and done home-visit tasks.

A volunteer's figure on /me, the monthly report and its CSV all read it here. Shift
time is the shifts area's own measure (``hours_by_person`` over attended places,
counted in the month the shift starts); a done task counts the minutes its volunteer
recorded, in the month it was marked done. Both are summed in SQL: two queries
whatever the number of shifts and visits.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import AssignmentState, Shift, Task, TaskState, VisitRecord
from scheduler.reports.months import month_of, within_months
from scheduler.shifts.queries import hours_by_person, shift_seconds_between, shift_seconds_by_person

# Only time actually given counts: not places held, not tasks still open.
SERVICE_STATES = (AssignmentState.ATTENDED,)


@dataclass(frozen=True)
class ServiceHours:
    shift_hours: float = 0.0
    task_minutes: int = 0

    @property
    def task_hours(self) -> float:
        return self.task_minutes / 60

    @property
    def total(self) -> float:
        return self.shift_hours + self.task_hours

    def __add__(self, other: "ServiceHours") -> "ServiceHours":
        return ServiceHours(self.shift_hours + other.shift_hours, self.task_minutes + other.task_minutes)


def task_minutes_query(station_id: int) -> sa.Select:
    """(volunteer, minutes) recorded on the station's done tasks: callers narrow by dates or group further."""
    return (
        sa.select(Task.assignee_id, sa.func.sum(VisitRecord.minutes))
        .join(Task, Task.id == VisitRecord.task_id)
        .where(
            VisitRecord.station_id == station_id,
            Task.state == TaskState.DONE,
            Task.assignee_id.is_not(None),
        )
        .group_by(Task.assignee_id)
    )


def task_minutes_by_person(
    station_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: int | None = None,
) -> dict[int, int]:
    """Minutes recorded on tasks done in [since, until), per volunteer who did them."""
    query = task_minutes_between(station_id, since, until, user_id)
    return {person: int(minutes) for person, minutes in db.session.execute(query)}


def task_minutes_between(station_id, since=None, until=None, user_id=None) -> sa.Select:
    """``task_minutes_query`` narrowed to tasks done in [since, until), of one person if given:
    values, or bind parameters for a statement built once."""
    query = task_minutes_query(station_id)
    if since is not None:
        query = query.where(VisitRecord.recorded_at >= since)
    if until is not None:
        query = query.where(VisitRecord.recorded_at < until)
    if user_id is not None:
        query = query.where(Task.assignee_id == user_id)
    return query


def service_hours_by_month(station_id: int, months: list[date]) -> list[dict[int, ServiceHours]]:
    """Each person's service hours in each of ``months`` (consecutive, oldest first): two
    grouped queries however many months, by the same definitions as ``service_hours``."""
    shift_month, task_month = month_of(Shift.starts_at, months), month_of(VisitRecord.recorded_at, months)
    shifts = (
        shift_seconds_by_person(station_id, SERVICE_STATES)
        .add_columns(shift_month)
        .where(within_months(Shift.starts_at, months))
        .group_by(shift_month)
    )
    tasks = (
        task_minutes_query(station_id)
        .add_columns(task_month)
        .where(within_months(VisitRecord.recorded_at, months))
        .group_by(task_month)
    )
    per_month: list[dict[int, ServiceHours]] = [{} for _ in months]
    for person, seconds, index in db.session.execute(shifts):
        per_month[index][person] = ServiceHours(shift_hours=float(seconds) / 3600)
    for person, minutes, index in db.session.execute(tasks):
        at_homes = ServiceHours(task_minutes=int(minutes))
        per_month[index][person] = per_month[index].get(person, ServiceHours()) + at_homes
    return per_month


def service_hours(
    station_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: int | None = None,
) -> dict[int, ServiceHours]:
    """Each person's service hours in [since, until) (all time without bounds); nobody without any."""
    shifts = hours_by_person(station_id, SERVICE_STATES, since, until, user_id)
    tasks = task_minutes_by_person(station_id, since, until, user_id)
    return {
        person: ServiceHours(shifts.get(person, 0.0), tasks.get(person, 0))
        for person in shifts.keys() | tasks.keys()
    }


# One person's hours, shown on /me at every visit: by the definitions above, with statements
# built once (building one and its cache key costs about as much as running it).
_ONE_PERSON = {"station_id": sa.bindparam("station_id"), "user_id": sa.bindparam("user_id")}
_BETWEEN = {"since": sa.bindparam("since"), "until": sa.bindparam("until")}
_PERSONS_SHIFT_SECONDS = {
    bounded: shift_seconds_between(states=SERVICE_STATES, **_ONE_PERSON, **(_BETWEEN if bounded else {}))
    for bounded in (False, True)
}
_PERSONS_TASK_MINUTES = {
    bounded: task_minutes_between(**_ONE_PERSON, **(_BETWEEN if bounded else {})) for bounded in (False, True)
}


def hours_of(user, between: tuple[datetime, datetime] | None = None) -> ServiceHours:
    """``user``'s service hours in [since, until), or in all."""
    parameters = {"station_id": user.station_id, "user_id": user.id}
    if between is not None:
        parameters |= dict(zip(("since", "until"), between, strict=True))
    bounded = between is not None
    seconds = db.session.execute(_PERSONS_SHIFT_SECONDS[bounded], parameters).first()
    minutes = db.session.execute(_PERSONS_TASK_MINUTES[bounded], parameters).first()
    return ServiceHours(
        shift_hours=float(seconds[1]) / 3600 if seconds else 0.0,
        task_minutes=int(minutes[1]) if minutes else 0,
    )
