"""The request follows its task, and the resident's follow-up page shows the task's progress
without any personal data beyond the volunteer's surname."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.extensions import db
from scheduler.models import Health, Kind, Notice, RequestState, Role, ServiceRequest, Task, TaskState, User
from scheduler.tasks import services
from scheduler.tasks.services import Checklist
from tests.forms import submit_form
from tests.menu.conftest import buildings_of, count_rows, load
from tests.requests_to_tasks.conftest import HTMX, task_form


@pytest.fixture
def medicine(make_service):
    return make_service("送药上门")


@pytest.fixture
def volunteer(make_user):
    return make_user(Role.VOLUNTEER, display_name="王建国", phone="13911112222")


def move(app, task, action, *args):
    """Run a task service (accept, complete, cancel…) the way its route does."""
    with app.test_request_context():
        action(db.session.get(Task, task.id), *args)


def as_user(user):
    return db.session.get(User, user.id)


def follow_up(client, service_request) -> str:
    return client.get(f"/r/{service_request.follow_token}").get_data(as_text=True)


# The request follows -------------------------------------------------------------------------


def test_a_done_task_closes_the_request_and_the_resident_may_rate_it(
    app, client, medicine, make_request, make_request_task, station_admin, volunteer
):
    service_request = make_request(medicine)
    task = make_request_task(service_request, station_admin, assignee=volunteer)
    with app.test_request_context():
        holder = as_user(volunteer)
        services.accept(db.session.get(Task, task.id), holder)
        services.complete(db.session.get(Task, task.id), holder, Checklist(Health.GOOD), "药已送到", 20)
    stored = load(app, ServiceRequest, service_request.id)
    assert stored.state == RequestState.DONE and stored.done_at is not None
    assert stored.handled_by_id == volunteer.id
    html = follow_up(client, service_request)
    assert "服务已完成" in html and "王师傅已于" in html and "提交评价" in html
    response = client.post(f"/r/{service_request.follow_token}/rating", data={"rating": "5"})
    assert response.status_code == 302 and load(app, ServiceRequest, service_request.id).rating == 5


def test_a_cancelled_task_hands_the_request_back_to_staff_who_may_make_another(
    app, coordinator_client, medicine, make_request, make_request_task, station_admin, volunteer
):
    service_request = make_request(medicine)
    first = make_request_task(service_request, station_admin, assignee=volunteer)
    with app.test_request_context():
        services.cancel(db.session.get(Task, first.id), as_user(station_admin), "居民住院了")
    stored = load(app, ServiceRequest, service_request.id)
    assert (stored.state, stored.scheduled_for) == (RequestState.ACCEPTED, None)
    page = coordinator_client.get(f"/requests/{service_request.id}").get_data(as_text=True)
    assert 'name="starts_at"' in page and "标记完成" in page
    response = coordinator_client.post(f"/requests/{service_request.id}/task", data=task_form())
    assert response.status_code == 302 and count_rows(app, Task) == 2
    with app.app_context():
        linked = db.session.get(ServiceRequest, service_request.id)
        assert [task.state for task in linked.tasks] == [TaskState.CANCELLED, TaskState.OPEN]
        assert linked.live_task.id != first.id


@pytest.mark.parametrize("state", [TaskState.ASSIGNED, TaskState.ACCEPTED, TaskState.DECLINED])
def test_other_moves_keep_the_request_scheduled(
    app, medicine, make_request, make_request_task, station_admin, volunteer, state
):
    service_request = make_request(medicine)
    task = make_request_task(service_request, station_admin, assignee=volunteer)
    with app.test_request_context():
        if state != TaskState.ASSIGNED:
            services.accept(db.session.get(Task, task.id), as_user(volunteer))
        if state == TaskState.DECLINED:
            services.decline(db.session.get(Task, task.id), as_user(volunteer), "临时有事")
    assert load(app, Task, task.id).state == state
    assert load(app, ServiceRequest, service_request.id).state == RequestState.SCHEDULED


def test_staff_cannot_close_a_request_whose_task_is_under_way(
    app, coordinator_client, medicine, make_request, make_request_task, station_admin
):
    service_request = make_request(medicine)
    make_request_task(service_request, station_admin)
    page = coordinator_client.get(f"/requests/{service_request.id}").get_data(as_text=True)
    assert "任务完成后，这项请求即办结。如要婉拒，请先取消任务。" in page
    assert "标记完成" not in page and "婉拒…" not in page
    done = coordinator_client.post(f"/requests/{service_request.id}/done", headers=HTMX)
    declined = coordinator_client.post(
        f"/requests/{service_request.id}/decline",
        data={f"decline-{service_request.id}-reason": "不做了"},
        headers=HTMX,
    )
    for response in (done, declined):
        assert response.status_code == 409
        assert "这项请求随任务办理，任务完成即办结。如要婉拒，请先取消任务。" in response.get_data(
            as_text=True
        )
    assert load(app, ServiceRequest, service_request.id).state == RequestState.SCHEDULED


def test_a_request_its_task_closed_names_its_state_while_another_task_is_under_way(
    app, coordinator_client, medicine, make_request, make_request_task, station_admin, volunteer
):
    done, other = make_request(medicine), make_request(medicine)
    task = make_request_task(done, station_admin, assignee=volunteer)
    make_request_task(other, station_admin)
    move(app, task, lambda t: services.accept(t, as_user(volunteer)))
    move(app, task, lambda t: services.complete(t, as_user(volunteer), Checklist(Health.GOOD), "好", 10))
    declined = coordinator_client.post(
        f"/requests/{done.id}/decline", data={f"decline-{done.id}-reason": "不做了"}, headers=HTMX
    )
    assert declined.status_code == 409
    assert "这项请求已经是“已完成”状态，页面已显示最新状态。" in declined.get_data(as_text=True)


def test_the_building_head_who_filed_it_hears_when_it_is_done(
    app, auth, station, medicine, make_request_task, station_admin, volunteer
):
    # A building head as the people page makes one, filing for a neighbour without a phone.
    home = buildings_of(app, station)[1]
    head_client = auth.login(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, building_id=home.id)
    head = head_client.user
    filed = submit_form(
        head_client,
        f"/requests/new?service={medicine.id}",
        {"resident_name": "张桂兰", "unit_room": "3单元101", "details": "独居，请敲门大声些。"},
    )
    assert filed.status_code == 302
    with app.app_context():
        service_request = db.session.scalars(sa.select(ServiceRequest)).one()
        db.session.expunge(service_request)
    assert service_request.filed_by_id == head.id and service_request.phone == ""
    task = make_request_task(service_request, station_admin, assignee=volunteer)
    with app.test_request_context():
        services.accept(db.session.get(Task, task.id), as_user(volunteer))
        services.complete(db.session.get(Task, task.id), as_user(volunteer), Checklist(Health.GOOD), "好", 10)
    with app.app_context():
        texts = [notice.text for notice in db.session.query(Notice).filter_by(user_id=head.id)]
    assert any(service_request.reference in text and "已完成" in text for text in texts), texts


# What the resident sees ------------------------------------------------------------------------


def test_the_follow_up_page_tells_the_progress_and_names_only_the_surname(
    app, client, medicine, make_request, make_request_task, station_admin, volunteer
):
    service_request = make_request(medicine, resident_name="钱凤英")
    task = make_request_task(service_request, station_admin)
    html = follow_up(client, service_request)
    # 2031-03-04 is a Tuesday; the window is 09:00–11:00 local time.
    assert "驿站正在安排志愿者于3月4日周二 09:00–11:00上门。" in html
    with app.test_request_context():
        services.assign(db.session.get(Task, task.id), as_user(volunteer), as_user(station_admin))
    html = follow_up(client, service_request)
    assert "驿站正在安排志愿者" in html and "王" not in html  # asked, not yet accepted
    move(app, task, lambda t: services.accept(t, db.session.get(User, volunteer.id)))
    html = follow_up(client, service_request)
    assert "已安排王师傅于3月4日周二 09:00–11:00上门。" in html
    for private in ("王建国", "13911112222", "钱凤英", "降压药"):
        assert private not in html


def test_a_visit_done_before_the_planned_day_shows_the_day_it_was_done(
    app, client, medicine, make_request, make_request_task, station_admin, volunteer
):
    """Planned for Tuesday 4 March, done on Sunday 2 March: the resident reads Sunday."""
    service_request = make_request(medicine)
    task = make_request_task(service_request, station_admin, assignee=volunteer)
    move(app, task, lambda t: services.accept(t, db.session.get(User, volunteer.id)))
    with time_machine.travel(datetime(2031, 3, 2, 7, 30, tzinfo=UTC), tick=False):
        move(app, task, lambda t: services.complete(t, as_user(volunteer), Checklist(Health.GOOD), "好", 10))
    html = follow_up(client, service_request)
    assert "王师傅已于3月2日周日上门。" in html
    assert "3月4日" not in html


def test_a_compound_surname_and_a_latin_name(
    app, client, medicine, make_request, make_request_task, make_user
):
    staff = make_user(Role.ADMIN)
    for display_name, shown, hidden in (("欧阳修文", "欧阳师傅", "修文"), ("Anna Smith", "Anna", "Smith")):
        volunteer = make_user(Role.VOLUNTEER, display_name=display_name)
        service_request = make_request(medicine)
        task = make_request_task(service_request, staff, assignee=volunteer)
        move(app, task, lambda t, v=volunteer: services.accept(t, db.session.get(User, v.id)))
        html = follow_up(client, service_request)
        assert shown in html and hidden not in html


def test_after_a_cancelled_task_the_resident_reads_that_it_is_being_arranged(
    app, client, medicine, make_request, make_request_task, station_admin, volunteer
):
    service_request = make_request(medicine)
    task = make_request_task(service_request, station_admin, assignee=volunteer)
    move(app, task, lambda t: services.accept(t, db.session.get(User, volunteer.id)))
    move(app, task, lambda t: services.cancel(t, db.session.get(User, station_admin.id), "改期"))
    html = follow_up(client, service_request)
    assert "驿站已受理您的请求，正在安排。" in html and "王师傅" not in html
