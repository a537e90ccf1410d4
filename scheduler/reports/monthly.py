"""The branch secretary's monthly report: the numbers that go to the street office.

Every figure is aggregated in SQL, so the report costs the same handful of queries
for a quiet month of one compound as for a busy street. Months are local calendar
months (config TIMEZONE); each record counts in the month of its own moment: a shift
when it starts, a home service when it was marked done, a request when it arrived,
was done or was turned down.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    KIND_LABELS,
    PLACE_HOLDING_STATES,
    Assignment,
    AssignmentState,
    Beneficiary,
    Kind,
    Service,
    ServiceCategory,
    ServiceRequest,
    Shift,
    ShiftKind,
    Task,
    TaskKind,
    TaskState,
    User,
    VisitRecord,
)
from scheduler.reports.hours import ServiceHours, service_hours_by_month
from scheduler.reports.months import month_of, within_months
from scheduler.shifts.weeks import month_bounds
from scheduler.timebank.queries import CreditFigures, credit_figures

# A resident in care visited at least this often is due a visit in every month.
MONTHLY_VISIT_DAYS = 31
# The row for people without a kind, usually the station's own staff.
OTHERS_LABEL = _l("Others")


def counted(condition, value=1):
    """SUM(CASE WHEN condition THEN value ELSE 0 END): a count or total under a condition."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def summed(parts: Iterable, start):
    """The field-by-field sum of figures (dataclasses of numbers)."""
    total = start
    for part in parts:
        total = type(start)(**{f.name: getattr(total, f.name) + getattr(part, f.name) for f in fields(start)})
    return total


def percent(part: int, whole: int) -> int | None:
    """Whole percent, halves up; 100 only when all of it (199 of 200 is 99%, not a full house)."""
    if not whole:
        return None
    value = int(part * 100 / whole + 0.5)
    return min(value, 99) if part < whole else value


# Service hours per volunteer and per kind ----------------------------------------------------


@dataclass(frozen=True)
class VolunteerHours:
    user: User
    hours: ServiceHours

    @property
    def kind_label(self) -> str:
        """What the person is, or their role when no kind is set (as the shift pages say it)."""
        return self.user.kind.label if self.user.kind else self.user.role.label


@dataclass
class KindHours:
    kind: Kind | None  # None: people without a kind, usually the station's staff
    people: int = 0
    hours: ServiceHours = field(default_factory=ServiceHours)

    @property
    def label(self) -> str:
        return self.kind.label if self.kind else str(OTHERS_LABEL)


def volunteer_hours(station_id: int, month: date) -> list[VolunteerHours]:
    """Everyone who gave time in the month, most hours first."""
    hours = service_hours_by_month(station_id, [month])[0]
    people = db.session.scalars(
        sa.select(User).where(User.id.in_(list(hours))).options(joinedload(User.building))
    ).all()
    rows = [VolunteerHours(person, hours[person.id]) for person in people]
    return sorted(rows, key=lambda row: (-row.hours.total, row.user.display_name, row.user.id))


def hours_by_month(station_id: int, months: list[date]) -> list[ServiceHours]:
    """The station's service hours in each month: the totals row of the volunteers' table."""
    return [sum(people.values(), ServiceHours()) for people in service_hours_by_month(station_id, months)]


def hours_by_kind(rows: list[VolunteerHours]) -> list[KindHours]:
    """The four kinds of volunteers of the article, always listed; "others" only when there are any."""
    totals = {kind: KindHours(kind) for kind in KIND_LABELS}
    for row in rows:
        total = totals.setdefault(row.user.kind, KindHours(row.user.kind))
        total.people += 1
        total.hours += row.hours
    return list(totals.values())


# Shifts ----------------------------------------------------------------------------------------


@dataclass
class ShiftFigures:
    planned: int = 0  # not cancelled
    cancelled: int = 0
    places: int = 0  # capacity of the planned shifts
    filled: int = 0  # places held, as the shift board counts them
    held: int = 0  # shifts at least one person attended
    attended: int = 0  # person-times
    no_shows: int = 0
    unrecorded: int = 0  # places on ended shifts whose attendance is not recorded yet

    @property
    def filled_percent(self) -> int | None:
        return percent(self.filled, self.places)


def shift_figures(station_id: int, since: datetime, until: datetime) -> dict[ShiftKind, ShiftFigures]:
    in_month = (Shift.station_id == station_id, Shift.starts_at >= since, Shift.starts_at < until)
    planned = Shift.cancelled_at.is_(None)
    figures = {kind: ShiftFigures() for kind in ShiftKind}
    for kind, planned_count, cancelled, places in db.session.execute(
        sa.select(Shift.kind, counted(planned), counted(~planned), counted(planned, Shift.capacity))
        .where(*in_month)
        .group_by(Shift.kind)
    ):
        figures[kind] = ShiftFigures(planned=planned_count, cancelled=cancelled, places=places)

    ended = Shift.ends_at <= utcnow()
    for kind, state, people, shifts, on_ended in db.session.execute(
        sa.select(
            Shift.kind,
            Assignment.state,
            sa.func.count(Assignment.id),
            sa.func.count(sa.distinct(Assignment.shift_id)),
            counted(ended),
        )
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(*in_month, planned, Assignment.state.in_(PLACE_HOLDING_STATES))
        .group_by(Shift.kind, Assignment.state)
    ):
        figure = figures[kind]
        figure.filled += people
        if state == AssignmentState.ATTENDED:
            figure.attended, figure.held = people, shifts
        elif state == AssignmentState.NO_SHOW:
            figure.no_shows = people
        else:
            figure.unrecorded += on_ended
    return figures


# Home visits -----------------------------------------------------------------------------------


@dataclass
class TaskFigures:
    done: int = 0
    minutes: int = 0
    flagged: int = 0
    flags_handled: int = 0

    @property
    def hours(self) -> float:
        return self.minutes / 60


@dataclass
class CareFigures:
    in_care: int = 0  # receive regular visits
    due: int = 0  # of them, to be visited at least once a month
    due_visited: int = 0
    visited: int = 0  # every resident a done task reached, in care or not

    @property
    def due_visited_percent(self) -> int | None:
        return percent(self.due_visited, self.due)


def task_figures(station_id: int, months: list[date]) -> list[dict[TaskKind, TaskFigures]]:
    """Per month (consecutive, oldest first) and kind: home services done, their time and flags."""
    month = month_of(VisitRecord.recorded_at, months)
    figures = [{kind: TaskFigures() for kind in TaskKind} for _ in months]
    for index, kind, done, minutes, flagged, handled in db.session.execute(
        sa.select(
            month,
            Task.kind,
            sa.func.count(VisitRecord.id),
            sa.func.sum(VisitRecord.minutes),
            counted(VisitRecord.flagged),
            counted(sa.and_(VisitRecord.flagged, VisitRecord.handled_at.is_not(None))),
        )
        .join(Task, Task.id == VisitRecord.task_id)
        .where(*done_in(station_id, months))
        .group_by(month, Task.kind)
    ):
        figures[index][kind] = TaskFigures(done, int(minutes), flagged, handled)
    return figures


def done_in(station_id: int, months: list[date]) -> tuple:
    """Criteria on ``VisitRecord`` joined with ``Task``: the station's tasks done in the months."""
    return (
        VisitRecord.station_id == station_id,
        Task.state == TaskState.DONE,
        within_months(VisitRecord.recorded_at, months),
    )


def care_figures(station_id: int, months: list[date]) -> list[CareFigures]:
    """Per month: residents in care (as registered now, if registered before the month ended)
    and who was visited. One query: four columns per month."""
    columns = []
    for month in months:
        until = month_bounds(month)[1]
        visited = (
            sa.select(VisitRecord.id)
            .join(Task, Task.id == VisitRecord.task_id)
            .where(Task.beneficiary_id == Beneficiary.id, *done_in(station_id, [month]))
            .exists()
        )
        in_care = sa.and_(
            Beneficiary.active, Beneficiary.visit_every_days.is_not(None), Beneficiary.created_at < until
        )
        due = sa.and_(in_care, Beneficiary.visit_every_days <= MONTHLY_VISIT_DAYS)
        columns += [counted(in_care), counted(due), counted(sa.and_(due, visited)), counted(visited)]
    row = db.session.execute(sa.select(*columns).where(Beneficiary.station_id == station_id)).one()
    return [CareFigures(*row[start : start + 4]) for start in range(0, len(columns), 4)]


# Residents' requests ---------------------------------------------------------------------------


@dataclass
class RequestFigures:
    received: int = 0
    done: int = 0
    declined: int = 0
    ratings: int = 0
    rating_sum: int = 0

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.ratings, 1) if self.ratings else None


@dataclass(frozen=True)
class ServiceRequests:
    title: str
    figures: RequestFigures


def request_figures(station_id: int, months: list[date]) -> list[list[ServiceRequests]]:
    """Per month and service: requests received, done and turned down; ratings of those done.

    A request counts in up to three months (arrived, done, turned down): rows are grouped by
    service and the month of each moment, then added up here, one query for all the months.
    """
    moments = (ServiceRequest.created_at, ServiceRequest.done_at, ServiceRequest.declined_at)
    received, done, declined = (month_of(column, months) for column in moments)
    rated = ServiceRequest.rating.is_not(None)
    rows = db.session.execute(
        sa.select(
            Service.id,
            Service.title,
            received,
            done,
            declined,
            sa.func.count(ServiceRequest.id),
            counted(rated),
            counted(rated, ServiceRequest.rating),
        )
        .join(Service, Service.id == ServiceRequest.service_id)
        .join(ServiceCategory, ServiceCategory.id == Service.category_id)
        .where(
            ServiceRequest.station_id == station_id,
            sa.or_(*(within_months(column, months) for column in moments)),
        )
        .group_by(Service.id, Service.title, ServiceCategory.sort_order, Service.sort_order)
        .group_by(received, done, declined)
        # As the menu lists them, which the secretary knows.
        .order_by(ServiceCategory.sort_order, Service.sort_order, Service.id)
    )
    per_month: list[dict[int, ServiceRequests]] = [{} for _ in months]

    def figures(index: int, service_id: int, title: str) -> RequestFigures:
        return per_month[index].setdefault(service_id, ServiceRequests(title, RequestFigures())).figures

    for service_id, title, received_in, done_in_month, declined_in, count, ratings, rating_sum in rows:
        if received_in is not None:
            figures(received_in, service_id, title).received += count
        if done_in_month is not None:
            done_figures = figures(done_in_month, service_id, title)
            done_figures.done += count
            done_figures.ratings += ratings
            done_figures.rating_sum += rating_sum
        if declined_in is not None:
            figures(declined_in, service_id, title).declined += count
    return [list(services.values()) for services in per_month]


# The whole report ------------------------------------------------------------------------------


@dataclass
class MonthlyReport:
    month: date
    volunteers: list[VolunteerHours]
    kinds: list[KindHours]
    shifts: dict[ShiftKind, ShiftFigures]
    tasks: dict[TaskKind, TaskFigures]
    care: CareFigures
    requests: list[ServiceRequests]
    credits: CreditFigures = field(default_factory=CreditFigures)
    compiled_at: datetime = field(default_factory=utcnow)

    @property
    def hours(self) -> ServiceHours:
        return sum((row.hours for row in self.volunteers), ServiceHours())

    @property
    def shift_total(self) -> ShiftFigures:
        return summed(self.shifts.values(), ShiftFigures())

    @property
    def task_total(self) -> TaskFigures:
        return summed(self.tasks.values(), TaskFigures())

    @property
    def request_total(self) -> RequestFigures:
        return summed((row.figures for row in self.requests), RequestFigures())

    @property
    def person_times(self) -> int:
        """人次: each attended place and each done home service once."""
        return self.shift_total.attended + self.task_total.done


def monthly_report(station_id: int, month: date) -> MonthlyReport:
    since, until = month_bounds(month)
    volunteers = volunteer_hours(station_id, month)
    return MonthlyReport(
        month=month,
        volunteers=volunteers,
        kinds=hours_by_kind(volunteers),
        shifts=shift_figures(station_id, since, until),
        tasks=task_figures(station_id, [month])[0],
        care=care_figures(station_id, [month])[0],
        requests=request_figures(station_id, [month])[0],
        credits=credit_figures(station_id, since, until),
    )
