"""Planning: weekly series, changing and cancelling one or later shifts, copying a week."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from scheduler.models import Assignment, AssignmentState, Notice, Role, Shift, ShiftKind, WaitlistEntry
from scheduler.rules import RuleViolation
from scheduler.shifts import planning
from scheduler.shifts.planning import ShiftDetails
from tests.shifts.conftest import SHANGHAI, days_from_now, details_of, settle

pytestmark = pytest.mark.usefixtures("in_app")

MORNING_DUTY = ShiftDetails(
    kind=ShiftKind.DUTY,
    title="驿站值班",
    location="先锋驿站",
    start=time(9, 0),
    end=time(11, 30),
    capacity=2,
    self_signup=False,
)


def shifts_of(read, station) -> list[Shift]:
    return read(
        lambda s: list(
            s.scalars(sa.select(Shift).where(Shift.station_id == station.id).order_by(Shift.starts_at))
        )
    )


def test_series_across_a_month_end_is_stored_in_utc(station, read):
    # Mon 26 Jan – Fri 6 Feb 2026, Monday to Friday, morning and afternoon duty.
    planning.create_series(
        station.id,
        MORNING_DUTY,
        weekdays=[1, 2, 3, 4, 5],
        first_day=date(2026, 1, 26),
        last_day=date(2026, 2, 6),
        extra_slots=[(time(14, 30), time(17, 0))],
    )
    shifts = shifts_of(read, station)
    assert len(shifts) == 20
    assert len({shift.series_id for shift in shifts}) == 2, "one series per time slot"
    local_days = sorted({shift.starts_at.astimezone(SHANGHAI).date() for shift in shifts})
    assert local_days[4:6] == [date(2026, 1, 30), date(2026, 2, 2)], "Friday 30 Jan, then Monday 2 Feb"
    first = shifts[0]
    assert first.starts_at == datetime(2026, 1, 26, 1, 0, tzinfo=UTC), "09:00 in Shanghai is 01:00 UTC"
    assert first.ends_at == datetime(2026, 1, 26, 3, 30, tzinfo=UTC)


def test_an_early_shift_on_the_first_of_the_month_is_the_previous_day_in_utc(station, read):
    early = replace(MORNING_DUTY, start=time(7, 0), end=time(8, 0))
    planning.create_series(
        station.id, early, weekdays=[7], first_day=date(2026, 3, 1), last_day=date(2026, 3, 1)
    )
    (shift,) = shifts_of(read, station)
    assert shift.starts_at == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert shift.starts_at.astimezone(SHANGHAI).date() == date(2026, 3, 1)


def test_series_is_shown_in_shanghai_time(admin_client, station, read):
    planning.create_series(
        station.id, MORNING_DUTY, weekdays=[1], first_day=date(2026, 3, 2), last_day=date(2026, 3, 2)
    )
    html = admin_client.get("/shifts/week/2026-03-02").get_data(as_text=True)
    assert "09:00–11:30" in html
    assert "01:00" not in html


def test_an_end_before_the_start_ends_the_next_day(station, read):
    night = replace(MORNING_DUTY, start=time(22, 0), end=time(2, 0))
    (shift,) = settle([planning.create_shift(station.id, date(2026, 3, 31), night)])
    assert shift.ends_at - shift.starts_at == timedelta(hours=4)
    assert shift.ends_at.astimezone(SHANGHAI).date() == date(2026, 4, 1)


@pytest.mark.parametrize(
    "weekdays, first, last, field",
    [
        ([6], date(2026, 3, 2), date(2026, 3, 6), "weekdays"),
        ([1], date(2026, 3, 9), date(2026, 3, 2), "last_day"),
        ([1], date(2026, 1, 1), date(2026, 12, 31), "last_day"),
    ],
    ids=["no-such-weekday", "reversed", "too-long"],
)
def test_series_refuses_impossible_ranges(station, weekdays, first, last, field):
    with pytest.raises(RuleViolation) as refused:
        planning.create_series(station.id, MORNING_DUTY, weekdays=weekdays, first_day=first, last_day=last)
    assert refused.value.field == field


def series_from_tomorrow(station, weeks: int = 3) -> list[Shift]:
    tomorrow = days_from_now(1).astimezone(SHANGHAI).date()
    return settle(
        planning.create_series(
            station.id,
            MORNING_DUTY,
            weekdays=[tomorrow.isoweekday()],
            first_day=tomorrow,
            last_day=tomorrow + timedelta(weeks=weeks - 1),
        )
    )


def test_change_this_and_later_keeps_each_day(station, read):
    first, second, third = series_from_tomorrow(station)
    day, details = details_of(second, start=time(8, 30), end=time(11, 0), capacity=3)
    planning.update_shift(second.id, day, details, later_too=True)
    shifts = shifts_of(read, station)
    assert [s.starts_at.astimezone(SHANGHAI).time() for s in shifts] == [time(9, 0), time(8, 30), time(8, 30)]
    assert [s.starts_at.astimezone(SHANGHAI).date() for s in shifts] == [
        s.starts_at.astimezone(SHANGHAI).date() for s in (first, second, third)
    ]
    assert [s.capacity for s in shifts] == [2, 3, 3]


def test_more_places_on_this_and_later_shifts_go_to_each_ones_waiting_list(
    station, make_user, place, wait, read
):
    """One more place on each: the first in each queue moves up, even after a queue left waiting."""
    _first, second, third = series_from_tomorrow(station)
    first_in_line, still_waiting = {}, set()
    for shift in (second, third):
        for _ in range(2):
            place(shift, make_user())
        first_in_line[shift.id], next_in_line = make_user(), make_user()
        wait(shift, first_in_line[shift.id])
        wait(shift, next_in_line)
        still_waiting.add((shift.id, next_in_line.id))
    day, details = details_of(second, capacity=3)
    planning.update_shift(second.id, day, details, later_too=True)
    on_shift = read(lambda s: set(s.execute(sa.select(Assignment.shift_id, Assignment.user_id)).all()))
    assert {(shift_id, user.id) for shift_id, user in first_in_line.items()} <= on_shift
    waiting = read(lambda s: set(s.execute(sa.select(WaitlistEntry.shift_id, WaitlistEntry.user_id)).all()))
    assert waiting == still_waiting


def test_change_only_one_may_move_it_to_another_day(station, read):
    _first, second, _third = series_from_tomorrow(station)
    day, details = details_of(second)
    planning.update_shift(second.id, day + timedelta(days=1), details)
    with pytest.raises(RuleViolation) as refused:
        planning.update_shift(second.id, day + timedelta(days=2), details, later_too=True)
    assert refused.value.field == "day"


def test_capacity_cannot_drop_below_the_people_on_it(make_shift, make_user, place):
    shift = make_shift(capacity=2)
    place(shift, make_user())
    place(shift, make_user(), AssignmentState.ASSIGNED)
    day, details = details_of(shift, capacity=1)
    with pytest.raises(RuleViolation) as refused:
        planning.update_shift(shift.id, day, details)
    assert refused.value.field == "capacity"


def test_moving_a_shift_onto_someone_s_other_shift_is_refused(make_shift, make_user, place):
    volunteer = make_user(display_name="张桂兰")
    morning = make_shift(starts_at=days_from_now(2, time(9, 0)), hours=2)
    afternoon = make_shift(title="便民服务", starts_at=days_from_now(2, time(14, 30)), hours=2)
    place(morning, volunteer)
    place(afternoon, volunteer)
    day, details = details_of(afternoon, start=time(10, 0), end=time(12, 0))
    with pytest.raises(RuleViolation, match="张桂兰"):
        planning.update_shift(afternoon.id, day, details)


def test_people_are_told_when_their_shift_moves(make_shift, make_user, place, read):
    shift, volunteer = make_shift(), make_user()
    place(shift, volunteer)
    day, details = details_of(shift, start=time(10, 0), end=time(12, 0))
    planning.update_shift(shift.id, day, details)
    texts = read(lambda s: list(s.scalars(sa.select(Notice.text).where(Notice.user_id == volunteer.id))))
    assert any("改为" in text and "10:00" in text for text in texts)


def test_cancel_this_and_later_tells_the_people_on_them(station, make_user, place, read):
    first, second, third = series_from_tomorrow(station)
    on_first, on_third, declined = make_user(), make_user(), make_user()
    place(first, on_first)
    place(third, on_third, AssignmentState.ASSIGNED)
    place(third, declined, AssignmentState.DECLINED, decline_reason="x")
    cancelled = settle(planning.cancel_shift(second.id, later_too=True))
    assert {s.id for s in cancelled} == {second.id, third.id}
    states = {s.id: s.cancelled for s in shifts_of(read, station)}
    assert states == {first.id: False, second.id: True, third.id: True}

    def texts(user):
        return read(lambda s: list(s.scalars(sa.select(Notice.text).where(Notice.user_id == user.id))))

    assert texts(on_first) == []
    assert any("已取消" in text for text in texts(on_third))
    assert texts(declined) == []


def test_a_cancelled_series_tells_people_in_the_order_they_took_their_places(station, make_user, place, read):
    first, second = series_from_tomorrow(station, weeks=2)
    on_second, on_first = make_user(), make_user()
    place(second, on_second)
    place(first, on_first)
    planning.cancel_shift(first.id, later_too=True)
    told = read(lambda s: list(s.scalars(sa.select(Notice.user_id).order_by(Notice.id))))
    assert told == [on_second.id, on_first.id]


def test_copy_week_fills_next_weeks_series_and_creates_missing_shifts(
    station, make_shift, make_user, place, read
):
    monday = days_from_now(0).astimezone(SHANGHAI).date()
    monday -= timedelta(days=monday.weekday())
    monday += timedelta(days=7)  # next week, so that every shift is still ahead
    series = settle(
        planning.create_series(
            station.id, MORNING_DUTY, weekdays=[2], first_day=monday, last_day=monday + timedelta(days=13)
        )
    )
    this_week, next_week = series
    one_off = make_shift(title="剪纸课", starts_at=this_week.starts_at + timedelta(days=1), capacity=3)
    regular, busy_later = make_user(), make_user()
    place(this_week, regular)
    place(this_week, busy_later)
    place(one_off, regular)
    place(make_shift(title="便民服务", starts_at=next_week.starts_at), busy_later)

    result = planning.copy_week(station.id, monday, by=make_user(Role.ADMIN))

    assert (result.shifts_created, result.people_placed, result.people_skipped) == (1, 2, 1)
    copies = read(
        lambda s: {
            shift.title: {a.user_id: a.state for a in shift.assignments}
            for shift in s.scalars(sa.select(Shift).where(Shift.starts_at >= next_week.starts_at))
            if shift.title != "便民服务"
        }
    )
    assert copies == {
        "驿站值班": {regular.id: AssignmentState.ASSIGNED},
        "剪纸课": {regular.id: AssignmentState.ASSIGNED},
    }
    assert planning.copy_week(station.id, monday, by=make_user(Role.ADMIN)).shifts_created == 0
