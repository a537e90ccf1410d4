"""The shifts area's parts of /me: a volunteer's own shifts, and the staff overview."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, joinedload

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    PLACE_HOLDING_STATES,
    Assignment,
    AssignmentState,
    CalendarFeed,
    Shift,
    User,
    WaitlistEntry,
)
from scheduler.navigation import built_once_per_request
from scheduler.shifts.queries import taken_counts
from scheduler.shifts.services import withdrawal_deadline
from scheduler.shifts.weeks import local_today, to_local, week_bounds, week_start

# Open shifts on a volunteer's phone: the soonest few of the next two weeks keep the page short.
OPEN_SHIFTS_DAYS = 14
OPEN_SHIFTS_LIMIT = 8


# A volunteer's part of /me -----------------------------------------------------------------


@dataclass
class MyShifts:
    upcoming: list[Assignment]
    waiting: list[WaitlistEntry]
    open_shifts: list[Shift]
    offers: list[Assignment]
    taken: dict[int, int]
    feed: CalendarFeed | None
    deadlines: dict[int, datetime] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)

    @property
    def today_and_next(self) -> list[Assignment]:
        """What /me shows first: my shifts of today, and the next one after today."""
        today = local_today()
        todays = [a for a in self.upcoming if to_local(a.shift.starts_at).date() <= today]
        later = [a for a in self.upcoming if to_local(a.shift.starts_at).date() > today]
        return todays + later[:1]

    @property
    def later(self) -> list[Assignment]:
        """My other upcoming shifts, folded under "more" on /me."""
        soon = {a.id for a in self.today_and_next}
        return [a for a in self.upcoming if a.id not in soon]

    @property
    def folded_shift_ids(self) -> set[int]:
        """The shifts under "more": all shown but today's and the next of mine."""
        return self.shown_shift_ids - {a.shift_id for a in self.today_and_next}

    @property
    def shown_shift_ids(self) -> set[int]:
        return (
            {a.shift_id for a in self.upcoming}
            | {entry.shift_id for entry in self.waiting}
            | {shift.id for shift in self.open_shifts}
            | {a.shift_id for a in self.offers}
        )


# Built once: /me runs them on every visit, and building a statement and its cache key costs
# about as much as running it. Parameters: user_id, station_id, now, open_until, week_end.
_USER, _STATION, _NOW = sa.bindparam("user_id"), sa.bindparam("station_id"), sa.bindparam("now")


def _busy_then():
    """SQL condition on ``Shift``: the person already holds a place on an overlapping shift.

    Used to offer only shifts they could take; the rule itself lives in the services.
    """
    other = aliased(Shift)
    return (
        sa.select(Assignment.id)
        .join(other, other.id == Assignment.shift_id)
        .where(
            Assignment.user_id == _USER,
            Assignment.state.in_(PLACE_HOLDING_STATES),
            other.cancelled_at.is_(None),
            other.starts_at < Shift.ends_at,
            other.ends_at > Shift.starts_at,
        )
        .exists()
    )


_MINE = sa.select(Assignment.shift_id).where(Assignment.user_id == _USER)
_UPCOMING = (
    sa.select(Assignment)
    .join(Shift, Shift.id == Assignment.shift_id)
    .where(
        Assignment.user_id == _USER,
        Assignment.state.in_((AssignmentState.ASSIGNED, AssignmentState.CONFIRMED, AssignmentState.DECLINED)),
        Shift.ends_at > _NOW,
    )
    .options(contains_eager(Assignment.shift))
    .order_by(Shift.starts_at, Shift.id)
)
_WAITING = (
    sa.select(WaitlistEntry)
    .join(Shift, Shift.id == WaitlistEntry.shift_id)
    .where(WaitlistEntry.user_id == _USER, Shift.starts_at > _NOW, Shift.cancelled_at.is_(None))
    .options(contains_eager(WaitlistEntry.shift))
    .order_by(Shift.starts_at)
)
_OPEN_SHIFTS = (
    sa.select(Shift)
    .where(
        Shift.station_id == _STATION,
        Shift.self_signup,
        Shift.cancelled_at.is_(None),
        Shift.starts_at > _NOW,
        Shift.starts_at < sa.bindparam("open_until"),
        Shift.id.not_in(_MINE),
        Shift.id.not_in(sa.select(WaitlistEntry.shift_id).where(WaitlistEntry.user_id == _USER)),
        ~_busy_then(),
    )
    .order_by(Shift.starts_at, Shift.id)
    .limit(OPEN_SHIFTS_LIMIT)
)
_OFFERS = (
    sa.select(Assignment)
    .join(Shift, Shift.id == Assignment.shift_id)
    .where(
        Assignment.station_id == _STATION,
        Assignment.swap_offered_at.is_not(None),
        Assignment.state == AssignmentState.CONFIRMED,
        Assignment.user_id != _USER,
        Shift.starts_at > _NOW,
        Shift.cancelled_at.is_(None),
        Shift.id.not_in(_MINE),
        ~_busy_then(),
    )
    .options(contains_eager(Assignment.shift), joinedload(Assignment.user))
    .order_by(Shift.starts_at)
)
_FEED = sa.select(CalendarFeed).where(CalendarFeed.user_id == _USER)


def my_shifts(user: User) -> MyShifts:
    now = utcnow()
    mine = {"user_id": user.id, "now": now}
    at_station = {**mine, "station_id": user.station_id}
    upcoming = list(db.session.scalars(_UPCOMING, mine))
    open_shifts = list(
        db.session.scalars(_OPEN_SHIFTS, {**at_station, "open_until": now + timedelta(days=OPEN_SHIFTS_DAYS)})
    )
    return MyShifts(
        upcoming=upcoming,
        waiting=list(db.session.scalars(_WAITING, mine)),
        open_shifts=open_shifts,
        offers=list(db.session.scalars(_OFFERS, at_station)),
        taken=taken_counts([shift.id for shift in open_shifts]),
        feed=db.session.scalar(_FEED, {"user_id": user.id}),
        deadlines={a.id: withdrawal_deadline(a.shift) for a in upcoming},
        now=now,
    )


# The staff part of /me -------------------------------------------------


@dataclass
class StaffOverview:
    planned: int  # shifts still to come this week
    unfilled: list[Shift]
    taken: dict[int, int]
    declined: list[Assignment]
    offers: list[Assignment]


def staff_overview(user: User) -> StaffOverview:
    """This week's shifts still missing people, open declines and open swap offers, built once
    per request: /me's urgent block and the staff's shifts section both read it."""
    return built_once_per_request("staff_overviews", user.id, lambda: build_staff_overview(user))


_WEEK_END = sa.bindparam("week_end")
_WEEKS_SHIFTS = (
    sa.select(Shift)
    .where(
        Shift.station_id == _STATION,
        Shift.starts_at > _NOW,
        Shift.starts_at < _WEEK_END,
        Shift.cancelled_at.is_(None),
    )
    .order_by(Shift.starts_at)
)
_OPEN_ANSWERS = (
    sa.select(Assignment)
    .join(Shift, Shift.id == Assignment.shift_id)
    .where(Assignment.station_id == _STATION, Shift.starts_at > _NOW, Shift.cancelled_at.is_(None))
    .options(contains_eager(Assignment.shift), joinedload(Assignment.user))
    .order_by(Shift.starts_at)
)
_DECLINED = _OPEN_ANSWERS.where(Assignment.state == AssignmentState.DECLINED, Shift.starts_at < _WEEK_END)
_SWAP_OFFERS = _OPEN_ANSWERS.where(
    Assignment.swap_offered_at.is_not(None), Assignment.state == AssignmentState.CONFIRMED
)


def build_staff_overview(user: User) -> StaffOverview:
    _start, week_end = week_bounds(week_start(local_today()))
    parameters = {"station_id": user.station_id, "now": utcnow(), "week_end": week_end}
    shifts = list(db.session.scalars(_WEEKS_SHIFTS, parameters))
    taken = taken_counts([shift.id for shift in shifts])
    return StaffOverview(
        planned=len(shifts),
        unfilled=[shift for shift in shifts if taken.get(shift.id, 0) < shift.capacity],
        taken=taken,
        declined=list(db.session.scalars(_DECLINED, parameters)),
        offers=list(db.session.scalars(_SWAP_OFFERS, parameters)),
    )
