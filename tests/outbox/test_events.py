"""Who hears of what: the real services queue notices for exactly the people concerned."""

from datetime import time, timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    AssignmentState,
    Channel,
    Delivery,
    DeliveryState,
    Health,
    Role,
    Service,
    ShiftKind,
    Task,
    TaskState,
    User,
)
from scheduler.requests.services import file_request
from scheduler.shifts import planning
from scheduler.shifts import services as shift_services
from scheduler.shifts.weeks import to_local
from scheduler.tasks import services as task_services
from scheduler.tasks.services import Checklist


def told(app, event: str, channel: Channel = Channel.INAPP) -> list[Delivery]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                sa.select(Delivery)
                .where(Delivery.event == event, Delivery.channel == channel)
                .order_by(Delivery.id)
            )
        )
        db.session.expunge_all()
    return rows


def test_a_new_request_reaches_the_coordinators_and_whoever_is_on_duty(
    app, station, make_user, make_service, make_shift, place
):
    coordinator = make_user(Role.COORDINATOR)
    on_duty, off_duty, at_an_activity = (make_user(Role.VOLUNTEER) for _ in range(3))
    now = utcnow()
    place(make_shift(starts_at=now - timedelta(hours=1), hours=3), on_duty)
    place(make_shift(starts_at=now + timedelta(hours=5)), off_duty)
    place(make_shift(starts_at=now - timedelta(hours=1), hours=3, kind=ShiftKind.ACTIVITY), at_an_activity)
    make_user(Role.ADMIN)  # the secretary is not disturbed while coordinators exist
    service = make_service(title="送药上门")
    with app.test_request_context():
        request = file_request(
            db.session.get(Service, service.id),
            resident_name="张桂兰",
            building_id=_first_building(station),
            phone="13633334444",
        )
        reference = request.reference
    deliveries = told(app, "request.new")
    assert [d.user_id for d in deliveries] == [coordinator.id, on_duty.id]
    assert deliveries[0].text == f"新的居民请求 (单号 {reference})"
    assert deliveries[0].link.startswith("http://station.test/requests/")


def _first_building(station) -> int:
    from tests.factories_visits import building_of

    return building_of(station, 1).id


def test_a_red_flag_reaches_the_secretary_at_once_even_in_quiet_hours(
    app, station, make_user, make_task, peer, set_channels, choose, send
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    secretary = make_user(Role.ADMIN)
    # Quiet around the clock but for a minute: only an urgent notice goes out now.
    choose(secretary, by_wecom=True, quiet_start=time(0, 0), quiet_end=time(23, 59))
    volunteer = make_user(Role.VOLUNTEER)
    task = make_task(TaskState.ACCEPTED, volunteer, staff=secretary)
    with app.test_request_context():
        task_services.complete(
            db.session.get(Task, task.id),
            db.session.get(User, volunteer.id),
            Checklist(Health.GOOD, needs_help=True),
            "药快吃完了",
            20,
        )
    # Every secretary of the station (make_task's own admin too) hears; this one by WeCom.
    assert len(told(app, "visit.flag")) == 2
    [flag] = [d for d in told(app, "visit.flag", Channel.WECOM) if d.user_id == secretary.id]
    assert flag.urgent and flag.next_attempt_at <= utcnow()
    assert send().sent >= 1
    assert any(r.json["text"]["content"].startswith("紧急：") for r in peer.received)
    assert {d.state for d in told(app, "visit.flag", Channel.WECOM)} == {DeliveryState.SENT}


def test_a_visit_without_a_concern_raises_no_alarm(app, make_user, make_task, station_admin):
    volunteer = make_user(Role.VOLUNTEER)
    make_task(TaskState.DONE, volunteer)
    assert told(app, "visit.flag") == []


def test_a_task_given_by_staff_is_told_but_one_taken_by_oneself_is_not(app, make_user, make_task):
    given_to = make_user(Role.VOLUNTEER)
    make_task(TaskState.ASSIGNED, given_to)
    taker = make_user(Role.VOLUNTEER)
    open_task = make_task(open_to_claim=True)
    with app.test_request_context():
        task_services.claim(db.session.get(Task, open_task.id), db.session.get(User, taker.id))
    assert [d.user_id for d in told(app, "task.assigned")] == [given_to.id]


def test_assignment_promotion_and_swap_each_tell_the_person_concerned(
    app, station, make_user, make_shift, place
):
    staff = make_user(Role.COORDINATOR)
    shift = make_shift(capacity=1)
    first, waiting, taker = (make_user(Role.VOLUNTEER) for _ in range(3))
    with app.test_request_context():
        assignment = shift_services.assign(shift.id, first.id, db.session.get(User, staff.id))
        assignment_id = assignment.id
    assert [(d.user_id, d.key) for d in told(app, "shift.assigned")] == [
        (first.id, f"shift.assigned:{assignment_id}:{first.id}:inapp")
    ]
    with app.test_request_context():
        shift_services.join_waitlist(shift.id, db.session.get(User, waiting.id))
        shift_services.remove_assignment(assignment_id, db.session.get(User, staff.id))
    assert [d.user_id for d in told(app, "shift.promoted")] == [waiting.id]
    assert [d.user_id for d in told(app, "shift.removed")] == [first.id]

    other = make_shift(starts_at=utcnow() + timedelta(days=2))
    offered = place(other, first, AssignmentState.CONFIRMED, swap_offered_at=utcnow())
    with app.test_request_context():
        shift_services.take_swap(offered.id, db.session.get(User, taker.id))
    assert [d.user_id for d in told(app, "shift.swap")] == [first.id]


def test_cancelled_shifts_and_tasks_go_out_with_their_own_words_not_the_generic_notice(
    app, station, make_user, make_shift, place, make_task, peer, set_channels, choose, send
):
    """Each service passes its own outside message to notify: what the group reads says what happened."""
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    on_shift, holder, cancelled_holder, new_holder = (make_user(Role.VOLUNTEER) for _ in range(4))
    for person in (on_shift, holder, cancelled_holder):
        choose(person, by_wecom=True)
    staff = make_user(Role.COORDINATOR)
    shift, moved = (
        make_shift(title="周末值班"),
        make_shift(title="周日值班", starts_at=utcnow() + timedelta(days=3)),
    )
    place(shift, on_shift)
    place(moved, on_shift)
    given_away = make_task(TaskState.ACCEPTED, holder)
    cancelled = make_task(TaskState.ASSIGNED, cancelled_holder)

    with app.test_request_context():
        planning.cancel_shift(shift.id)
        starts = to_local(moved.starts_at)
        details = planning.ShiftDetails(
            kind=ShiftKind.DUTY,
            title="周日值班",
            location="社区活动室",
            start=starts.time(),
            end=(starts + timedelta(hours=2)).time(),
            capacity=2,
            self_signup=True,
        )
        planning.update_shift(moved.id, starts.date(), details)
        task_services.assign(
            db.session.get(Task, given_away.id),
            db.session.get(User, new_holder.id),
            db.session.get(User, staff.id),
        )
        task_services.cancel(db.session.get(Task, cancelled.id), db.session.get(User, staff.id), "老人住院了")

    assert [d.user_id for d in told(app, "shift.cancelled", Channel.WECOM)] == [on_shift.id]
    assert [d.user_id for d in told(app, "shift.changed", Channel.WECOM)] == [on_shift.id]
    assert [d.user_id for d in told(app, "task.released", Channel.WECOM)] == [holder.id]
    assert [d.user_id for d in told(app, "task.cancelled", Channel.WECOM)] == [cancelled_holder.id]
    assert told(app, "notice", Channel.WECOM) == []
    assert send().failed == 0
    texts = [request.json["text"]["content"] for request in peer.delivered()]
    assert sum(text.startswith("已取消：周末值班") for text in texts) == 1, texts
    assert sum(text.startswith("您的班次有变动：周日值班") for text in texts) == 1, texts
    assert "1号楼 探访 任务已改派他人" in texts and "1号楼 探访 任务已取消" in texts
