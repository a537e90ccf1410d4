"""Service hours: attended shifts plus the minutes of done home services, one definition for all."""

# The factories are fixtures of tests/reports/conftest.py; test arguments name them.

from datetime import UTC, datetime, time, timedelta

import pytest

from scheduler.extensions import db
from scheduler.models import AssignmentState, Kind, Role, TaskKind
from scheduler.reports.hours import ServiceHours, service_hours
from scheduler.shifts.weeks import month_bounds
from tests.reports.conftest import MARCH, in_march, local, section
from tests.shifts.conftest import SHANGHAI


@pytest.fixture
def march_hours(app):
    def read(station, month=MARCH) -> dict[int, ServiceHours]:
        with app.test_request_context():
            return service_hours(station.id, *month_bounds(month))

    return read


def test_attended_shifts_and_done_tasks_add_up(
    march_hours, station, make_user, make_shift, place, make_done_task
):
    volunteer = make_user()
    place(make_shift(starts_at=in_march(3), hours=2.5), volunteer, AssignmentState.ATTENDED)
    place(make_shift(starts_at=in_march(10), hours=1.5), volunteer, AssignmentState.ATTENDED)
    make_done_task(volunteer, minutes=45, done_at=in_march(12))
    make_done_task(volunteer, minutes=15, done_at=in_march(20), kind=TaskKind.MEDICINE)

    hours = march_hours(station)[volunteer.id]
    assert hours.shift_hours == pytest.approx(4.0)
    assert hours.task_minutes == 60
    assert hours.total == pytest.approx(5.0)


def test_only_time_given_counts(march_hours, station, make_user, make_shift, place):
    volunteer = make_user()
    for day, state in enumerate(
        (AssignmentState.ASSIGNED, AssignmentState.CONFIRMED, AssignmentState.NO_SHOW)
    ):
        place(make_shift(starts_at=in_march(4 + day), hours=2), volunteer, state)
    place(make_shift(starts_at=in_march(1), hours=3), make_user(), AssignmentState.DECLINED)
    cancelled = make_shift(starts_at=in_march(2), hours=2, cancelled_at=in_march(1))
    place(cancelled, volunteer, AssignmentState.ATTENDED)
    assert march_hours(station) == {}


def test_months_begin_at_local_midnight(march_hours, station, make_user, make_shift, place, make_done_task):
    volunteer = make_user()
    # 23:30 on 31 March in Shanghai is still March, though it is 15:30 UTC.
    place(make_shift(starts_at=in_march(31, time(23, 30)), hours=1), volunteer, AssignmentState.ATTENDED)
    # 00:30 on 1 March in Shanghai is 16:30 UTC on 28 February, and counts in March.
    make_done_task(volunteer, minutes=20, done_at=in_march(1, time(0, 30)))
    # 00:30 on 1 April in Shanghai is still 31 March in UTC, and counts in April.
    april_first = in_march(31, time(0, 30)) + timedelta(days=1)
    place(make_shift(starts_at=april_first, hours=4), volunteer, AssignmentState.ATTENDED)

    assert in_march(1, time(0, 30)).astimezone(UTC).month == 2
    march = march_hours(station)[volunteer.id]
    assert (march.shift_hours, march.task_minutes) == (pytest.approx(1.0), 20)
    april = march_hours(station, MARCH.replace(month=4))[volunteer.id]
    assert april.shift_hours == pytest.approx(4.0)


def test_months_follow_the_configured_time_zone(app, station, make_user, make_shift, place):
    volunteer = make_user()
    # 00:30 on 1 April in Shanghai: April there, still March in a station that keeps UTC.
    april_first = in_march(31, time(0, 30)) + timedelta(days=1)
    place(make_shift(starts_at=april_first, hours=1), volunteer, AssignmentState.ATTENDED)
    with app.test_request_context():
        assert service_hours(station.id, *month_bounds(MARCH)) == {}
        app.config["TIMEZONE"] = "UTC"
        assert service_hours(station.id, *month_bounds(MARCH))[volunteer.id].shift_hours == pytest.approx(1)


def test_other_stations_work_is_not_counted(
    march_hours, station, make_station, make_user, make_shift, place, make_done_task
):
    other = make_station()
    stranger = make_user(station=other)
    place(make_shift(station=other, starts_at=in_march(5), hours=3), stranger, AssignmentState.ATTENDED)
    make_done_task(stranger, minutes=30, done_at=in_march(6), station=other)
    assert march_hours(station) == {}
    assert march_hours(other)[stranger.id].total == pytest.approx(3.5)


def test_hours_are_summed_by_the_database(
    app, station, make_user, make_shift, place, make_done_task, count_queries
):
    people = [make_user() for _ in range(3)]
    for day in range(1, 7):
        for person in people:
            place(make_shift(starts_at=in_march(day), hours=1, capacity=3), person, AssignmentState.ATTENDED)
        make_done_task(people[day % 3], minutes=10, done_at=in_march(day))
    with app.test_request_context(), count_queries() as counter:
        hours = service_hours(station.id, *month_bounds(MARCH))
        db.session.remove()
    assert counter.count == 2
    assert sorted(round(h.total, 2) for h in hours.values()) == [6.33, 6.33, 6.33]


# /me ---------------------------------------------------------------------------------------------


def this_month_at(hour: int) -> datetime:
    """A moment early on the first day of the current local month."""
    return local(datetime.now(SHANGHAI).date().replace(day=1), time(hour, 0))


def test_my_page_counts_home_services_in_my_hours(volunteer_client, make_shift, place, make_done_task):
    me = volunteer_client.user
    place(make_shift(starts_at=this_month_at(0), hours=2), me, AssignmentState.ATTENDED)
    make_done_task(me, minutes=30, done_at=this_month_at(3))
    place(make_shift(starts_at=in_march(3), hours=4), me, AssignmentState.ATTENDED)

    mine = section(volunteer_client.get("/me").get_data(as_text=True), "my-hours-title")
    assert "本月 2.5 小时 · 累计 6.5 小时" in mine
    assert "本月值班和活动 2 小时，上门服务 0.5 小时。" in mine


def test_my_page_shows_only_my_own_hours(volunteer_client, make_user, make_shift, place):
    place(make_shift(starts_at=this_month_at(0), hours=3), make_user(), AssignmentState.ATTENDED)
    mine = section(volunteer_client.get("/me").get_data(as_text=True), "my-hours-title")
    assert "本月 0 小时 · 累计 0 小时" in mine
    assert "本月值班和活动" not in mine


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR])
def test_staff_see_their_own_hours_too(auth, role, make_shift, place):
    client = auth.login(role, kind=Kind.PARTY_MEMBER)
    place(make_shift(starts_at=this_month_at(0), hours=1.5), client.user, AssignmentState.ATTENDED)
    assert "本月 1.5 小时" in section(client.get("/me").get_data(as_text=True), "my-hours-title")


def test_shift_people_page_points_to_the_report(admin_client):
    html = admin_client.get("/shifts/people?month=2025-03").get_data(as_text=True)
    assert "本月出勤（小时）" in html
    assert 'href="/reports/2025-03"' in html
