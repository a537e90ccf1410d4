"""Reminders that time brings: created by `notices send` when due, each told once."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    AssignmentState,
    Beneficiary,
    Channel,
    Delivery,
    Kind,
    Notice,
    Role,
    Task,
    TaskState,
)
from scheduler.outbox.reminders import create_due_reminders
from tests.factories_visits import building_of
from tests.shifts.conftest import SHANGHAI, local


def told(app, event: str) -> list[tuple[int, str]]:
    """(user id, in-app text) of everyone told of ``event``, in order."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Delivery.user_id, Delivery.text)
            .where(Delivery.event == event, Delivery.channel == Channel.INAPP)
            .order_by(Delivery.id)
        ).all()
    return [tuple(row) for row in rows]


def run_at(app, moment: datetime) -> int:
    with app.app_context():
        return create_due_reminders(moment)


def test_the_evening_before_everyone_expected_hears_once(app, make_user, make_shift, place):
    today = datetime.now(SHANGHAI).date()
    shift = make_shift(starts_at=local(today + timedelta(days=1), time(9, 0)), title="驿站值班")
    confirmed, assigned, declined = (make_user(Role.VOLUNTEER) for _ in range(3))
    place(shift, confirmed)
    place(shift, assigned, AssignmentState.ASSIGNED)
    place(shift, declined, AssignmentState.DECLINED)

    assert run_at(app, local(today, time(18, 59))) == 0  # before the evening hour (19)
    assert run_at(app, local(today, time(19, 0))) == 2
    assert run_at(app, local(today, time(19, 1))) == 0  # every minute, still once
    people = told(app, "shift.evening")
    assert [user_id for user_id, _text in people] == [confirmed.id, assigned.id]
    assert "驿站值班" in people[0][1]


def test_a_cancelled_shift_reminds_nobody(app, make_user, make_shift, place):
    today = datetime.now(SHANGHAI).date()
    shift = make_shift(starts_at=local(today + timedelta(days=1), time(9, 0)), cancelled_at=utcnow())
    place(shift, make_user(Role.VOLUNTEER))
    assert run_at(app, local(today, time(20, 0))) == 0


def test_shortly_before_the_shift_people_hear_again(app, make_user, make_shift, place):
    now = utcnow()
    soon = make_shift(starts_at=now + timedelta(minutes=90))
    later = make_shift(starts_at=now + timedelta(hours=3))
    volunteer = make_user(Role.VOLUNTEER)
    place(soon, volunteer)
    place(later, make_user(Role.VOLUNTEER))
    run_at(app, now)
    run_at(app, now + timedelta(minutes=1))
    assert [user_id for user_id, _ in told(app, "shift.soon")] == [volunteer.id]


def test_a_shift_just_after_midnight_is_reminded_once_late_in_the_evening(app, make_user, make_shift, place):
    """At 23:30 a shift at 00:30 is both "tomorrow" and "soon": one reminder, not two at once."""
    today = datetime.now(SHANGHAI).date()
    shift = make_shift(starts_at=local(today + timedelta(days=1), time(0, 30)), title="夜间巡楼")
    volunteer = make_user(Role.VOLUNTEER)
    place(shift, volunteer)
    assert run_at(app, local(today, time(23, 30))) == 1
    assert told(app, "shift.evening") == []
    assert [user_id for user_id, _ in told(app, "shift.soon")] == [volunteer.id]


def test_an_assignment_unanswered_for_a_day_is_asked_again(app, make_user, make_shift, place):
    now = utcnow()
    shift = make_shift(starts_at=now + timedelta(days=3))
    silent, fresh = make_user(Role.VOLUNTEER), make_user(Role.VOLUNTEER)
    place(shift, silent, AssignmentState.ASSIGNED, created_at=now - timedelta(hours=25))
    place(shift, fresh, AssignmentState.ASSIGNED, created_at=now - timedelta(hours=2))
    run_at(app, now)
    run_at(app, now)
    assert [user_id for user_id, _ in told(app, "shift.unanswered")] == [silent.id]


def test_a_task_not_accepted_in_time_goes_on_to_the_coordinators(app, make_user, make_task):
    coordinator = make_user(Role.COORDINATOR)
    volunteer = make_user(Role.VOLUNTEER)
    late = make_task(TaskState.ASSIGNED, volunteer)
    make_task(TaskState.ASSIGNED, volunteer)  # assigned just now: not late
    with app.app_context():
        db.session.get(Task, late.id).state_changed_at = utcnow() - timedelta(hours=5)
        db.session.commit()
    run_at(app, utcnow())
    run_at(app, utcnow())
    assert [user_id for user_id, _ in told(app, "task.unaccepted")] == [coordinator.id]


def test_without_coordinators_the_secretary_hears_of_a_late_task(app, make_user, make_task, station_admin):
    late = make_task(TaskState.ASSIGNED, make_user(Role.VOLUNTEER))
    with app.app_context():
        db.session.get(Task, late.id).state_changed_at = utcnow() - timedelta(hours=5)
        db.session.commit()
    run_at(app, utcnow())
    assert [user_id for user_id, _ in told(app, "task.unaccepted")] == [station_admin.id]


def test_building_heads_get_a_weekly_digest_of_overdue_visits(app, station, make_user, make_beneficiary):
    with app.app_context():
        building_one, building_two = building_of(station, 1).id, building_of(station, 2).id
    head_one = make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, building_id=building_one)
    head_two = make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, building_id=building_two)
    overdue = [make_beneficiary(building=1, visit_every_days=7) for _ in range(2)]
    make_beneficiary(building=2, visit_every_days=7)
    with app.app_context():
        for beneficiary in overdue:
            db.session.get(Beneficiary, beneficiary.id).visit_due_at = utcnow() - timedelta(days=3)
        db.session.commit()
    monday = datetime(2026, 3, 2, tzinfo=SHANGHAI)
    assert run_at(app, monday.replace(hour=7)) == 0  # before the morning hour
    assert run_at(app, (monday + timedelta(days=1)).replace(hour=9)) == 0  # Tuesday
    with app.app_context():  # the visits are due later than those fixed days: overdue "now"
        for beneficiary in overdue:
            db.session.get(Beneficiary, beneficiary.id).visit_due_at = monday - timedelta(days=3)
        db.session.commit()
    run_at(app, monday.replace(hour=9))
    run_at(app, monday.replace(hour=10))
    digests = told(app, "visit.digest")
    assert digests == [(head_one.id, "1号楼 本周有 2 户探访已逾期")]
    assert head_two.id not in [user_id for user_id, _ in digests]


def test_a_visit_falling_due_at_the_digests_moment_is_counted(app, station, make_user, make_beneficiary):
    """Overdue is "due at or before now" in the digest as on the register and the dashboard."""
    with app.app_context():
        building_one = building_of(station, 1).id
    head = make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, building_id=building_one)
    resident = make_beneficiary(building=1, visit_every_days=7)
    monday_morning = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    with app.app_context():
        db.session.get(Beneficiary, resident.id).visit_due_at = monday_morning
        db.session.commit()
    run_at(app, monday_morning)
    assert told(app, "visit.digest") == [(head.id, "1号楼 本周有 1 户探访已逾期")]


def test_the_secretary_hears_that_last_months_report_is_ready(app, make_user, station_admin):
    first = datetime(2026, 4, 1, 9, 0, tzinfo=SHANGHAI)
    assert run_at(app, first.replace(hour=7)) == 0
    run_at(app, first)
    run_at(app, first + timedelta(hours=1))
    assert told(app, "report.ready") == [(station_admin.id, "2026年3月 月报已生成")]
    with app.app_context():
        notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == station_admin.id))
    assert notice.link == "/reports/2026-03"


def test_notices_send_queues_reminders_and_delivers_them(
    app, runner, station, make_user, make_shift, place, peer, set_channels, choose
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    volunteer = make_user(Role.VOLUNTEER)
    choose(volunteer, by_wecom=True)
    place(make_shift(starts_at=utcnow() + timedelta(hours=1)), volunteer)

    result = runner.invoke(args=["notices", "send"])
    assert result.exit_code == 0, result.output
    assert "reminders queued: 1, sent: 1" in result.output
    again = runner.invoke(args=["notices", "send"])
    assert "reminders queued: 0, sent: 0" in again.output
    [request] = peer.received
    assert request.json["text"]["content"].startswith("提醒：")
    assert "http://station.test/me#my-shifts" in request.json["text"]["content"]
