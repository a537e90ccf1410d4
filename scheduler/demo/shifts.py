"""Shifts of the demo station: duty at its four areas, classes and holiday activities.

Classes and the health check are linked to their services of the demo menu (seeded
before this), on the weekdays and times the menu announces, so residents see their dates.

Two weeks of the past (attended, a few no-shows) and four weeks ahead (confirmed,
waiting for an answer, declined, still open), a full class with a waiting list and a
place offered for a swap. Dates are relative to today, so the demo stays alive.
People are placed directly (the services refuse past shifts) but by the same
rule: never two overlapping shifts for one person, never over capacity.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.demo.community import DEMO_STATION_SLUG
from scheduler.extensions import db
from scheduler.models import (
    PLACE_HOLDING_STATES,
    Assignment,
    AssignmentState,
    Role,
    Service,
    Shift,
    ShiftKind,
    ShiftSeries,
    Station,
    User,
    WaitlistEntry,
)
from scheduler.shifts.planning import ShiftDetails
from scheduler.shifts.weeks import dates_between, local_today, week_start

WEEKDAYS = [1, 2, 3, 4, 5]
MORNING = (time(9, 0), time(11, 30))
AFTERNOON = (time(14, 30), time(17, 0))
CLASS_TIME = (time(9, 30), time(11, 0))
AFTERNOON_CLASS_TIME = (time(14, 30), time(16, 0))
HEALTH_CHECK_TIME = (time(9, 0), time(11, 0))


@dataclass(frozen=True)
class DemoSeries:
    title: str
    kind: ShiftKind
    location: str
    weekdays: list[int]
    slot: tuple[time, time]
    capacity: int
    self_signup: bool
    notes: str = ""
    service: str | None = None  # the title of the demo menu's service it gives


FRONT_DESK = "开门、接待来访居民，登记需求。"
SERIES = [
    DemoSeries("驿站值班", ShiftKind.DUTY, "先锋驿站", WEEKDAYS, MORNING, 2, False, FRONT_DESK),
    DemoSeries("驿站值班", ShiftKind.DUTY, "先锋驿站", WEEKDAYS, AFTERNOON, 2, False, FRONT_DESK),
    DemoSeries(
        "议事接待", ShiftKind.DUTY, "邻里议站", [2, 4], MORNING, 2, True, "收集楼栋议题，协助调解邻里纠纷。"
    ),
    DemoSeries(
        "便民服务", ShiftKind.DUTY, "服务易站", [1, 3, 5], AFTERNOON, 3, True, "量血压、磨剪刀、小家电维修。"
    ),
    DemoSeries("老年活动室值守", ShiftKind.DUTY, "时光忆站", WEEKDAYS, AFTERNOON, 1, True),
    DemoSeries(
        "健康测量协助", ShiftKind.DUTY, "服务易站", [3], HEALTH_CHECK_TIME, 2, True,
        "协助社区医生排队、登记血压血糖。", "血压血糖测量",
    ),
    DemoSeries(
        "剪纸课", ShiftKind.ACTIVITY, "时光忆站", [1], AFTERNOON_CLASS_TIME, 3, True,
        "协助老师准备红纸和剪刀。", "剪纸兴趣班",
    ),
    DemoSeries(
        "编织课", ShiftKind.ACTIVITY, "时光忆站", [4], CLASS_TIME, 2, True, "毛线由驿站提供。", "编织小组"
    ),
]  # fmt: skip
# Holiday science classes for children, on the Tuesdays and Thursdays of the coming weeks.
SCIENCE_CLASS = DemoSeries(
    "假期少儿科学课", ShiftKind.ACTIVITY, "服务易站", [2, 4], CLASS_TIME, 4, True,
    "带孩子做简单的科学小实验。", "假期科普课堂",
)  # fmt: skip
DECLINE_REASONS = ["那天要带孙子去医院", "外出探亲，不在小区", "腰疼，需要休息几天", "单位临时加班"]


def seed(password: str) -> None:
    station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
    if station is None:
        return
    today = local_today()
    monday = week_start(today)
    plans = [(series, monday - timedelta(days=14), monday + timedelta(days=4 * 7 + 6)) for series in SERIES]
    plans.append((SCIENCE_CLASS, today + timedelta(days=1), today + timedelta(days=27)))
    services = dict(
        db.session.execute(sa.select(Service.title, Service.id).where(Service.station_id == station.id)).all()
    )
    new_shifts = []
    for demo, first_day, last_day in plans:
        new_shifts += _create_series(station, demo, first_day, last_day, services.get(demo.service))
    db.session.flush()
    people = {
        person.username: person
        for person in db.session.scalars(
            sa.select(User)
            .where(User.station_id == station.id, User.role == Role.VOLUNTEER, User.active)
            .order_by(User.username)
        )
    }
    busy = _busy_times(station)
    _place_people(sorted(new_shifts, key=lambda shift: shift.starts_at), list(people.values()), busy)
    _make_a_waiting_list(station, people, busy)
    _offer_a_swap(station, people, busy)
    _ask_for_an_answer(station, people, busy)
    db.session.commit()


def _create_series(
    station: Station, demo: DemoSeries, first_day: date, last_day: date, service_id: int | None
) -> list[Shift]:
    weekdays = ",".join(str(day) for day in demo.weekdays)
    start, end = demo.slot
    exists = db.session.scalar(
        sa.select(ShiftSeries.id).where(
            ShiftSeries.station_id == station.id,
            ShiftSeries.title == demo.title,
            ShiftSeries.weekdays == weekdays,
            ShiftSeries.start_time == start,
        )
    )
    if exists:
        return []
    series = ShiftSeries(
        station_id=station.id,
        title=demo.title,
        weekdays=weekdays,
        start_time=start,
        end_time=end,
        first_day=first_day,
        last_day=last_day,
        service_id=service_id,
    )
    db.session.add(series)
    db.session.flush()
    details = ShiftDetails(
        kind=demo.kind,
        title=demo.title,
        location=demo.location,
        start=start,
        end=end,
        capacity=demo.capacity,
        self_signup=demo.self_signup,
        notes=demo.notes,
        service_id=service_id,
    )
    shifts = [
        details.new_shift(station.id, day, series.id)
        for day in dates_between(first_day, last_day, demo.weekdays)
    ]
    db.session.add_all(shifts)
    return shifts


# Who is busy when: the demo keeps the rule that nobody is on two overlapping shifts.
Busy = dict[int, list[tuple[datetime, datetime]]]


def _busy_times(station: Station) -> Busy:
    rows = db.session.execute(
        sa.select(Assignment.user_id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(Assignment.station_id == station.id, Assignment.state.in_(PLACE_HOLDING_STATES))
    )
    busy: Busy = {}
    for user_id, starts_at, ends_at in rows:
        busy.setdefault(user_id, []).append((starts_at, ends_at))
    return busy


def _is_free(busy: Busy, person: User, shift: Shift) -> bool:
    return all(not shift.overlaps(start, end) for start, end in busy.get(person.id, []))


def _add(busy: Busy, shift: Shift, person: User, state: AssignmentState, **fields) -> Assignment:
    assignment = Assignment(
        shift_id=shift.id, station_id=shift.station_id, user_id=person.id, state=state, **fields
    )
    db.session.add(assignment)
    if state in PLACE_HOLDING_STATES:
        busy.setdefault(person.id, []).append((shift.starts_at, shift.ends_at))
    return assignment


def _state_for(shift: Shift, now: datetime, rng: random.Random) -> AssignmentState:
    if shift.ends_at <= now:
        return AssignmentState.NO_SHOW if rng.random() < 0.08 else AssignmentState.ATTENDED
    days_ahead = (shift.starts_at - now).days
    confirmed_share = 0.75 if days_ahead < 7 else 0.45 if days_ahead < 14 else 0.3
    roll = rng.random()
    if roll < 0.08:
        return AssignmentState.DECLINED
    return AssignmentState.CONFIRMED if roll < 0.08 + confirmed_share else AssignmentState.ASSIGNED


def _place_people(shifts: list[Shift], people: list[User], busy: Busy) -> None:
    """Past shifts mostly full, the coming fortnight nearly full, later weeks still open."""
    now = utcnow()
    rng = random.Random(4)
    for shift in shifts:
        days_ahead = (shift.starts_at - now).days
        if days_ahead < 0:
            wanted = shift.capacity
        elif days_ahead < 14:
            wanted = shift.capacity - rng.randint(0, 1)
        else:
            wanted = rng.randint(0, shift.capacity)
        free_people = [person for person in people if _is_free(busy, person, shift)]
        placed = 0
        for person in rng.sample(free_people, len(free_people)):
            if placed == wanted:
                break
            state = _state_for(shift, now, rng)
            fields = {
                "responded_at": None if state == AssignmentState.ASSIGNED else min(now, shift.starts_at)
            }
            if state == AssignmentState.DECLINED:
                fields["decline_reason"] = rng.choice(DECLINE_REASONS)
            _add(busy, shift, person, state, **fields)
            placed += state != AssignmentState.DECLINED
    db.session.flush()


def _people_on(shift: Shift) -> tuple[set[int], int]:
    """Everyone with an assignment on the shift (any state), and how many hold a place."""
    rows = db.session.execute(
        sa.select(Assignment.user_id, Assignment.state).where(Assignment.shift_id == shift.id)
    )
    on_shift, holding = set(), 0
    for user_id, state in rows:
        on_shift.add(user_id)
        holding += state in PLACE_HOLDING_STATES
    return on_shift, holding


def _shift_with_room(station: Station, person: User, busy: Busy, **criteria) -> Shift | None:
    """The soonest shift from tomorrow on where ``person`` fits: room left, free then, not on it."""
    shifts = db.session.scalars(
        sa.select(Shift)
        .filter_by(station_id=station.id, cancelled_at=None, **criteria)
        .where(Shift.starts_at > utcnow() + timedelta(days=1))
        .order_by(Shift.starts_at)
    )
    for shift in shifts:
        on_shift, holding = _people_on(shift)
        if holding < shift.capacity and person.id not in on_shift and _is_free(busy, person, shift):
            return shift
    return None


def _make_a_waiting_list(station: Station, people: dict[str, User], busy: Busy) -> None:
    """The next paper-cutting class is full, and two people wait for a place."""
    shift = db.session.scalar(
        sa.select(Shift)
        .filter_by(station_id=station.id, title="剪纸课", cancelled_at=None)
        .where(Shift.starts_at > utcnow() + timedelta(days=1))
        .order_by(Shift.starts_at)
    )
    if shift is None or db.session.scalar(
        sa.select(WaitlistEntry.id).where(WaitlistEntry.shift_id == shift.id)
    ):
        return
    on_shift, holding = _people_on(shift)
    waiting = [people[name] for name in ("property01", "volunteer02") if name in people]
    for person in people.values():
        if holding >= shift.capacity:
            break
        if person not in waiting and person.id not in on_shift and _is_free(busy, person, shift):
            _add(busy, shift, person, AssignmentState.CONFIRMED, responded_at=utcnow())
            holding += 1
    for person in waiting:
        if person.id not in on_shift and _is_free(busy, person, shift):
            db.session.add(WaitlistEntry(shift_id=shift.id, station_id=station.id, user_id=person.id))
    db.session.flush()


def _offer_a_swap(station: Station, people: dict[str, User], busy: Busy) -> None:
    """A building head cannot come to a shift after all and offers the place."""
    person = people.get("building05")
    already = db.session.scalar(
        sa.select(Assignment.id).where(
            Assignment.station_id == station.id, Assignment.swap_offered_at.is_not(None)
        )
    )
    if person is None or already:
        return
    shift = _shift_with_room(station, person, busy, self_signup=True)
    if shift is not None:
        _add(busy, shift, person, AssignmentState.CONFIRMED, responded_at=utcnow(), swap_offered_at=utcnow())
        db.session.flush()


def _ask_for_an_answer(station: Station, people: dict[str, User], busy: Busy) -> None:
    """A resident volunteer has been put on station duty and has not answered yet."""
    person = people.get("volunteer01")
    if person is None:
        return
    waiting_for_answer = db.session.scalar(
        sa.select(Assignment.id)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.user_id == person.id,
            Assignment.state == AssignmentState.ASSIGNED,
            Shift.starts_at > utcnow(),
        )
    )
    if waiting_for_answer:
        return
    shift = _shift_with_room(station, person, busy, self_signup=False)
    if shift is not None:
        _add(busy, shift, person, AssignmentState.ASSIGNED)
        db.session.flush()
