"""Making a task of a request, word for word: refusals, defaults, one transaction, the log."""

import logging

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import (
    Kind,
    RequestState,
    Role,
    ServiceRequest,
    Task,
    TaskEvent,
    TaskKind,
    TaskState,
    User,
)
from scheduler.requests import services as request_services
from scheduler.rules import RuleViolation
from scheduler.tasks import services as task_services
from tests.menu.conftest import buildings_of, count_rows
from tests.outbox.conftest import choose, deliveries, set_channels  # noqa: F401
from tests.requests_to_tasks.conftest import WINDOW_END, WINDOW_START, task_from_request_by

WECOM = "http://127.0.0.1:9/cgi-bin/webhook/send?key=abc"
ALREADY_HAS_A_TASK = "这项请求已经转为任务，页面已显示该任务。"


@pytest.fixture
def medicine(make_service):
    return make_service("送药上门")


def test_an_unknown_assignee_is_refused_next_to_the_picker(app, medicine, make_request, station_admin):
    service_request = make_request(medicine)
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        task_from_request_by(service_request, station_admin, assignee_id=999_999)
    assert (refused.value.message, refused.value.field) == ("请选择本驿站在岗的人员。", "assignee_id")
    assert count_rows(app, Task) == 0


def test_a_task_made_without_instructions_has_none(app, medicine, make_request, station_admin):
    service_request = make_request(medicine)
    with app.test_request_context():
        task = task_from_request_by(service_request, station_admin)
        assert db.session.get(Task, task.id).instructions == ""


def test_a_task_added_for_a_resident_without_instructions_has_none(app, station, station_admin):
    building_id = buildings_of(app, station)[0].id
    with app.test_request_context():
        task = task_services.add_task_for_resident(
            station_id=station.id,
            created_by=db.session.get(User, station_admin.id),
            name="张阿姨",
            building_id=building_id,
            unit="2单元",
            room="301",
            phone="13812340000",
            kind=TaskKind.VISIT,
            starts_at=WINDOW_START,
            ends_at=WINDOW_END,
        )
        db.session.commit()
        assert db.session.get(Task, task.id).instructions == ""


def test_the_task_and_the_scheduled_request_are_saved_in_one_commit(
    app, medicine, make_request, station_admin
):
    service_request = make_request(medicine)
    commits = []

    def count(session):
        commits.append(session)

    with app.test_request_context():
        session = db.session()
        sa.event.listen(session, "after_commit", count)
        try:
            task = task_from_request_by(service_request, station_admin)
        finally:
            sa.event.remove(session, "after_commit", count)
        stored = db.session.get(ServiceRequest, service_request.id)
        assert (stored.state, stored.live_task.id) == (RequestState.SCHEDULED, task.id)
    assert len(commits) == 1


def test_a_second_task_slipping_past_the_lock_is_refused_by_the_index(
    app, medicine, make_request, station_admin, monkeypatch
):
    """Should the lock's check be bypassed, the unique index refuses with the same words."""
    service_request = make_request(medicine)
    with app.test_request_context():
        first = task_from_request_by(service_request, station_admin)
        first_id = first.id
    monkeypatch.setattr(request_services, "_lock_for_a_task", lambda service_request: service_request)
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        task_from_request_by(service_request, station_admin)
    assert (refused.value.message, refused.value.field) == (ALREADY_HAS_A_TASK, None)
    with app.app_context():
        assert db.session.scalars(sa.select(Task.id)).all() == [first_id]


def test_the_log_names_the_task_the_request_and_who_made_it(
    app, medicine, make_request, station_admin, caplog
):
    service_request = make_request(medicine)
    caplog.set_level(logging.INFO, logger="scheduler.requests")
    with app.test_request_context():
        task = task_from_request_by(service_request, station_admin)
    made = [r.getMessage() for r in caplog.records if r.name == "scheduler.requests"]
    assert made == [f"task {task.id} made from request {service_request.id} by user {station_admin.id}"]


def test_a_stale_copy_of_a_closed_request_is_refused_with_its_current_state(
    app, medicine, make_request, station_admin
):
    """The request is read afresh under the lock, not from what the session held before."""
    service_request = make_request(medicine)
    with app.test_request_context():
        stale = db.session.get(ServiceRequest, service_request.id)
        assert stale.state == RequestState.NEW
        db.session.execute(
            sa.update(ServiceRequest)
            .where(ServiceRequest.id == stale.id)
            .values(state=RequestState.DONE)
            .execution_options(synchronize_session=False)
        )
        with pytest.raises(RuleViolation) as refused:
            task_from_request_by(stale, station_admin)
    assert refused.value.message == "这项请求已经是“已完成”状态，不能再转为任务。"
    assert count_rows(app, Task) == 0


def test_scheduling_needs_an_aware_time(app, medicine, make_request, station_admin):
    service_request = make_request(medicine)
    with app.test_request_context(), pytest.raises(ValueError) as refused:
        request_services.mark_scheduled(
            db.session.get(ServiceRequest, service_request.id),
            WINDOW_START.replace(tzinfo=None),
            db.session.get(User, station_admin.id),
        )
    assert str(refused.value) == "mark_scheduled needs an aware datetime"


def test_a_volunteer_who_claims_a_task_is_the_one_in_its_history(app, make_task, make_user):
    task = make_task(open_to_claim=True)
    volunteer = make_user(Role.VOLUNTEER, display_name="李志愿")
    with app.test_request_context():
        task_services.claim(db.session.get(Task, task.id), db.session.get(User, volunteer.id))
        last = db.session.scalars(
            sa.select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id.desc())
        ).first()
        assert (last.to_state, last.actor_id, last.assignee_id) == (
            TaskState.ACCEPTED,
            volunteer.id,
            volunteer.id,
        )


def test_the_building_head_who_filed_hears_the_new_state_beyond_the_app(
    app,
    station,
    medicine,
    make_request,
    make_user,
    station_admin,
    set_channels,  # noqa: F811
    choose,  # noqa: F811
    deliveries,  # noqa: F811
):
    head = make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, building_id=buildings_of(app, station)[0].id)
    set_channels(station, wecom_webhook=WECOM)
    choose(head, by_wecom=True)
    service_request = make_request(medicine, filed_by_id=head.id)
    with app.test_request_context():
        task_from_request_by(service_request, station_admin)
    assert {(d.event, d.user_id) for d in deliveries()} == {("request.state", head.id)}
