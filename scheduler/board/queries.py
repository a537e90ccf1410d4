"""What the public board shows: names of consenting people only, never a resident's data.

Four queries for the people, buildings and roster, and the report's own functions for the
month's figures (scheduler/reports/monthly.py), so the board and the report never differ.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from scheduler.extensions import db
from scheduler.models import (
    KIND_LABELS,
    PLACE_HOLDING_STATES,
    Assignment,
    BoardListing,
    Building,
    Kind,
    Shift,
    ShiftKind,
    User,
)
from scheduler.reports.monthly import (
    RequestFigures,
    TaskFigures,
    hours_by_month,
    request_figures,
    summed,
    task_figures,
)
from scheduler.shifts.weeks import to_local, week_bounds

# The order of the board's list: as the article's wall lists them.
KIND_ORDER = {kind: place for place, kind in enumerate(KIND_LABELS)}


@dataclass(frozen=True)
class BoardPerson:
    name: str
    kind: Kind | None
    building: Building | None
    phone: str  # the number agreed to, while it is still the account's; else ""

    @property
    def kind_label(self) -> str:
        return self.kind.label if self.kind else ""


@dataclass(frozen=True)
class ListedPeople:
    everyone: list[BoardPerson]

    @property
    def party_members(self) -> list[BoardPerson]:
        return [person for person in self.everyone if person.kind == Kind.PARTY_MEMBER]

    @property
    def volunteers(self) -> list[BoardPerson]:
        """Everyone else but building heads, who are listed with their buildings."""
        return [
            person for person in self.everyone if person.kind not in (Kind.PARTY_MEMBER, Kind.BUILDING_HEAD)
        ]


@dataclass
class BuildingRow:
    building: Building
    heads: list[BoardPerson] = field(default_factory=list)


@dataclass
class RosterShift:
    starts_at: datetime
    ends_at: datetime
    title: str
    names: list[str] = field(default_factory=list)
    unnamed: int = 0  # people on the shift who are not listed: counted, never named


@dataclass(frozen=True)
class RosterDay:
    day: date
    shifts: list[RosterShift]


@dataclass(frozen=True)
class BoardFigures:
    hours: float
    home_services_done: int
    requests_done: int
    average_rating: float | None


def listed_people(station_id: int) -> ListedPeople:
    """Everyone of the station whose consent stands and whose account is on, board order."""
    rows = db.session.execute(
        sa.select(User, BoardListing.shown_phone)
        .join(BoardListing, BoardListing.user_id == User.id)
        .where(BoardListing.station_id == station_id, User.station_id == station_id, User.active)
        .options(joinedload(User.building))
    ).all()
    people = [
        BoardPerson(
            user.display_name, user.kind, user.building, shown if shown and shown == user.phone else ""
        )
        for user, shown in rows
    ]
    return ListedPeople(
        sorted(
            people,
            key=lambda person: (
                KIND_ORDER.get(person.kind, len(KIND_ORDER)),
                person.building.sort_order if person.building else 1 << 30,
                person.name,
            ),
        )
    )


def buildings_with_heads(station_id: int, people: ListedPeople) -> list[BuildingRow]:
    """Every building of the station, with its listed building heads (none: ask the station)."""
    rows = {
        building.id: BuildingRow(building)
        for building in db.session.scalars(
            sa.select(Building)
            .where(Building.station_id == station_id)
            .order_by(Building.sort_order, Building.name)
        )
    }
    for person in people.everyone:
        if person.kind == Kind.BUILDING_HEAD and person.building is not None and person.building.id in rows:
            rows[person.building.id].heads.append(person)
    return list(rows.values())


def duty_roster(station_id: int, monday: date) -> list[RosterDay]:
    """The week's station duty, day by day: names of listed people, a count of the others."""
    since, until = week_bounds(monday)
    shifts = db.session.scalars(
        sa.select(Shift)
        .where(
            Shift.station_id == station_id,
            Shift.kind == ShiftKind.DUTY,
            Shift.cancelled_at.is_(None),
            Shift.starts_at >= since,
            Shift.starts_at < until,
        )
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    roster = {shift.id: RosterShift(shift.starts_at, shift.ends_at, shift.title) for shift in shifts}
    people = db.session.execute(
        sa.select(
            Assignment.shift_id, User.display_name, sa.and_(BoardListing.user_id.is_not(None), User.active)
        )
        .join(User, User.id == Assignment.user_id)
        .outerjoin(
            BoardListing, sa.and_(BoardListing.user_id == User.id, BoardListing.station_id == station_id)
        )
        .where(Assignment.shift_id.in_(list(roster)), Assignment.state.in_(PLACE_HOLDING_STATES))
        .order_by(Assignment.shift_id, User.display_name)
    )
    for shift_id, name, listed in people:
        if listed:
            roster[shift_id].names.append(name)
        else:
            roster[shift_id].unnamed += 1
    days: dict[date, list[RosterShift]] = defaultdict(list)
    for shift in roster.values():
        days[to_local(shift.starts_at).date()].append(shift)
    return [RosterDay(day, shifts) for day, shifts in days.items()]


def month_figures(station_id: int, month: date) -> BoardFigures:
    """The month's headline figures, by the monthly report's definitions."""
    hours = hours_by_month(station_id, [month])[0]
    tasks = summed(task_figures(station_id, [month])[0].values(), TaskFigures())
    requests = summed((row.figures for row in request_figures(station_id, [month])[0]), RequestFigures())
    return BoardFigures(hours.total, tasks.done, requests.done, requests.average_rating)
