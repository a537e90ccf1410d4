"""Staff make a task of a resident's request in one step, on the request's page."""

import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from scheduler.extensions import db
from scheduler.models import (
    Beneficiary,
    Kind,
    RequestState,
    Role,
    ServiceRequest,
    Task,
    TaskEvent,
    TaskKind,
    TaskState,
)
from scheduler.rules import RuleViolation
from tests.conftest import form_error
from tests.forms import choose_form, fill, form_on, read_forms, submit_form
from tests.menu.conftest import buildings_of, count_rows, load
from tests.requests_to_tasks.conftest import HTMX, WINDOW_START, task_form


@pytest.fixture
def medicine(make_service):
    return make_service("送药上门")


def task_of(app, request_id: int) -> Task | None:
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.service_request_id == request_id))
        if task is not None:
            db.session.refresh(task)
            db.session.expunge(task)
        return task


# The form -------------------------------------------------------------------------------------


def test_the_form_is_prefilled_from_what_the_resident_wrote(
    app, station, coordinator_client, medicine, make_request, make_user
):
    head = make_user(
        Role.VOLUNTEER,
        display_name="王建国",
        kind=Kind.BUILDING_HEAD,
        building_id=buildings_of(app, station)[0].id,
    )
    make_user(Role.VOLUNTEER, display_name="李志愿")
    service_request = make_request(
        medicine, unit_room="2单元301", preferred_time="明天上午", details="降压药快吃完了。"
    )
    response = coordinator_client.get(f"/requests/{service_request.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "转为任务" in html
    assert 'value="medicine" selected' in html or 'selected value="medicine"' in html
    assert re.search(r'name="starts_at"[^>]*value="\d{4}-\d\d-\d\dT09:00"', html)
    assert re.search(r'name="ends_at"[^>]*value="\d{4}-\d\d-\d\dT11:00"', html)
    assert re.search(r'<textarea[^>]*name="instructions"[^>]*>\s*降压药快吃完了。</textarea>', html)
    assert re.search(r'name="unit"[^>]*value="2单元"', html)
    assert re.search(r'name="room"[^>]*value="301"', html)
    # The dispatch picker's suggestions: the building head first, then the free volunteers.
    options = re.search(r'<select[^>]*name="assignee_id".*?</select>', html, re.S).group(0)
    assert "稍后再定" in options
    assert options.index("王建国 · 1号楼楼栋长") < options.index("李志愿")
    assert f'value="{head.id}"' in options


def test_the_inbox_links_to_the_form_and_then_to_the_task(
    coordinator_client, medicine, make_request, make_request_task, station_admin
):
    waiting = make_request(medicine, resident_name="等着的")
    linked = make_request(medicine, resident_name="转了的")
    task = make_request_task(linked, station_admin)
    html = coordinator_client.get("/requests?state=all").get_data(as_text=True)
    assert f'href="/requests/{waiting.id}#make-task"' in html
    assert f'href="/tasks/{task.id}"' in html and "送药 · 待分配" in html
    assert f'href="/requests/{linked.id}#make-task"' not in html
    # The form itself lives on the request's page only.
    assert 'name="starts_at"' not in html


def test_the_inbox_runs_the_same_number_of_queries_with_tasks(
    coordinator_client, medicine, make_request, make_request_task, make_user, station_admin, count_queries
):
    volunteer = make_user(Role.VOLUNTEER)
    make_request_task(make_request(medicine), station_admin, assignee=volunteer)
    with count_queries() as few:
        coordinator_client.get("/requests?state=all")
    for number in range(8):
        made = make_request(medicine)
        if number % 2:
            make_request_task(made, station_admin, assignee=volunteer if number % 4 == 1 else None)
    with count_queries() as many:
        coordinator_client.get("/requests?state=all")
    assert many.count == few.count


# Making it ------------------------------------------------------------------------------------


def test_without_javascript_the_request_becomes_a_linked_scheduled_task(
    app, coordinator_client, medicine, make_request
):
    service_request = make_request(
        medicine, resident_name="钱凤英", unit_room="2单元301", phone="13800002222", details="降压药"
    )
    response = coordinator_client.post(f"/requests/{service_request.id}/task", data=task_form())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/requests/{service_request.id}"
    task = task_of(app, service_request.id)
    assert (task.kind, task.state) == (TaskKind.MEDICINE, TaskState.OPEN)
    assert task.instructions == "降压药，医保卡在家"
    assert (task.starts_at, task.created_by_id) == (WINDOW_START, coordinator_client.user.id)
    stored = load(app, ServiceRequest, service_request.id)
    assert (stored.state, stored.scheduled_for) == (RequestState.SCHEDULED, WINDOW_START)
    assert stored.accepted_at is not None and stored.handled_by_id == coordinator_client.user.id
    resident = load(app, Beneficiary, task.beneficiary_id)
    assert (resident.name, resident.unit, resident.room) == ("钱凤英", "2单元", "301")
    assert resident.phone == "13800002222"
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请求已转为任务。" in page and f'href="/tasks/{task.id}"' in page
    assert 'name="starts_at"' not in page  # no second task


def test_with_htmx_the_state_panel_comes_back_with_the_task(app, coordinator_client, medicine, make_request):
    service_request = make_request(medicine)
    response = coordinator_client.post(f"/requests/{service_request.id}/task", data=task_form(), headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<div class="request-state" id="request-state-{service_request.id}"')
    task = task_of(app, service_request.id)
    assert f'href="/tasks/{task.id}"' in html and "已安排" in html and "请求已转为任务。" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_a_chosen_volunteer_gets_the_task_at_once(app, coordinator_client, medicine, make_request, make_user):
    volunteer = make_user(Role.VOLUNTEER, display_name="王建国")
    service_request = make_request(medicine)
    coordinator_client.post(
        f"/requests/{service_request.id}/task", data=task_form(assignee_id=str(volunteer.id))
    )
    task = task_of(app, service_request.id)
    assert (task.state, task.assignee_id) == (TaskState.ASSIGNED, volunteer.id)
    with app.app_context():
        moves = db.session.execute(
            sa.select(TaskEvent.from_state, TaskEvent.to_state).where(TaskEvent.task_id == task.id)
        ).all()
    assert moves == [(None, TaskState.OPEN), (TaskState.OPEN, TaskState.ASSIGNED)]


def test_a_resident_in_the_register_keeps_their_record(
    app, coordinator_client, medicine, make_request, make_beneficiary
):
    known = make_beneficiary(name="钱凤英", building=1, unit="2单元", room="301", care_notes="耳背")
    service_request = make_request(medicine, resident_name="钱凤英", unit_room="2单元301")
    coordinator_client.post(f"/requests/{service_request.id}/task", data=task_form())
    assert task_of(app, service_request.id).beneficiary_id == known.id
    assert count_rows(app, Beneficiary) == 1


def test_making_a_task_puts_nobody_on_the_care_register(app, coordinator_client, medicine, make_request):
    """Catches a task from a request registering the resident as 关爱对象 without anyone choosing
    to: she is out of care (no monthly visits, not on the register) until staff take her in."""
    service_request = make_request(medicine, resident_name="钱凤英", unit_room="2单元301")
    page = f"/requests/{service_request.id}"
    submit_form(coordinator_client, page, form=f"{page}/task")  # the form as rendered, prefilled
    task = task_of(app, service_request.id)
    resident = load(app, Beneficiary, task.beneficiary_id)
    assert resident.active is False and resident.left_care_at is not None
    in_care = "/beneficiaries/?status=active"
    assert "钱凤英" not in coordinator_client.get(in_care).get_data(as_text=True)

    page = coordinator_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "钱凤英不在关爱名册上" in page
    edit = f"/beneficiaries/{resident.id}/edit?into_care=1"
    assert f'href="{edit}"' in page
    assert load(app, Beneficiary, resident.id).active is False, "opening the form registers nobody"
    submit_form(coordinator_client, edit)  # the explicit step, by staff: the form comes ready to save
    assert load(app, Beneficiary, resident.id).active is True
    assert "钱凤英" in coordinator_client.get(in_care).get_data(as_text=True)


def test_a_resident_taken_out_of_care_stays_out_when_she_asks_again(
    app, coordinator_client, medicine, make_request, make_beneficiary
):
    """Catches asking for help bringing a resident back into care (visits planned for her again)."""
    known = make_beneficiary(name="钱凤英", building=1, unit="2单元", room="301", active=False)
    service_request = make_request(medicine, resident_name="钱凤英", unit_room="2单元301")
    coordinator_client.post(f"/requests/{service_request.id}/task", data=task_form())
    resident = load(app, Beneficiary, known.id)
    assert task_of(app, service_request.id).beneficiary_id == known.id
    assert resident.active is False
    assert resident.left_care_at is not None, "retention counts from her latest request"


def test_a_new_request_is_taken_on_and_scheduled_in_the_same_step(app, admin_client, medicine, make_request):
    service_request = make_request(medicine, state=RequestState.NEW)
    admin_client.post(f"/requests/{service_request.id}/task", data=task_form())
    stored = load(app, ServiceRequest, service_request.id)
    assert stored.state == RequestState.SCHEDULED and stored.accepted_at is not None


# Once only ------------------------------------------------------------------------------------


def test_a_second_task_is_refused_with_409(app, coordinator_client, medicine, make_request):
    service_request = make_request(medicine)
    url = f"/requests/{service_request.id}/task"
    assert coordinator_client.post(url, data=task_form()).status_code == 302
    again = coordinator_client.post(url, data=task_form(), headers=HTMX)
    assert again.status_code == 409
    assert "这项请求已经转为任务，页面已显示该任务。" in again.get_data(as_text=True)
    plain = coordinator_client.post(url, data=task_form())
    assert plain.status_code == 409 and "<html" in plain.get_data(as_text=True)
    assert count_rows(app, Task) == 1


@pytest.mark.parametrize("state, label", [(RequestState.DONE, "已完成"), (RequestState.DECLINED, "已婉拒")])
def test_a_closed_request_cannot_become_a_task(app, coordinator_client, medicine, make_request, state, label):
    service_request = make_request(medicine, state=state)
    html = coordinator_client.get(f"/requests/{service_request.id}").get_data(as_text=True)
    assert 'name="starts_at"' not in html
    response = coordinator_client.post(f"/requests/{service_request.id}/task", data=task_form(), headers=HTMX)
    assert response.status_code == 409
    assert f"这项请求已经是“{label}”状态，不能再转为任务。" in response.get_data(as_text=True)
    assert count_rows(app, Task) == 0 and count_rows(app, Beneficiary) == 0


# Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"ends_at": "2031-03-04T08:00"}, "ends_at", "结束时间必须晚于开始时间"),
        ({"ends_at": "2031-03-04T09:00"}, "ends_at", "结束时间必须晚于开始时间"),
        ({"starts_at": ""}, "starts_at", "请填写日期和时间"),
        ({"starts_at": "明天上午"}, "starts_at", None),
        ({"starts_at": "0001-01-01T00:00"}, "starts_at", "请选择 2000 年到 2099 年之间的日期"),
        ({"ends_at": "9999-12-31T23:00"}, "ends_at", "请选择 2000 年到 2099 年之间的日期"),
        ({"kind": "party"}, "kind", None),
        ({"room": "3" * 11}, "room", None),
        ({"instructions": "药" * 501}, "instructions", None),
        ({"assignee_id": "999999"}, "assignee_id", "请选择本驿站在岗的人员"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_kept(
    app, coordinator_client, medicine, make_request, changes, field, message
):
    service_request = make_request(medicine)
    data = task_form(**changes)
    for headers in (HTMX, {}):
        response = coordinator_client.post(f"/requests/{service_request.id}/task", data=data, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, html
        error = form_error(html, field)
        assert error, html
        if message:
            assert message in error
        assert "降压药，医保卡在家" in html or field == "instructions"
    assert count_rows(app, Task) == 0 and count_rows(app, Beneficiary) == 0
    assert load(app, ServiceRequest, service_request.id).state == RequestState.NEW


def offered(form) -> list[str]:
    """The people the form's "who goes" list offers, by id."""
    return [value for value, _selected in form.named("assignee_id")[0].options if value]


def test_who_is_offered_follows_the_time_typed_and_asking_makes_nothing(
    app, coordinator_client, medicine, make_request, make_user, make_request_task
):
    """Catches the list of who goes staying that of the resident's wished time once staff type
    another: someone busy then was offered, someone free then was not."""
    volunteer = make_user(Role.VOLUNTEER, display_name="陈志刚")
    # Busy on 2031-03-04 from 09:00 to 11:00, with another resident's task.
    make_request_task(make_request(medicine), make_user(Role.COORDINATOR), assignee=volunteer)
    service_request = make_request(medicine)
    page, action = f"/requests/{service_request.id}", f"/requests/{service_request.id}/task"
    assert offered(form_on(coordinator_client, page, action)) == [str(volunteer.id)]

    busy = {"starts_at": "2031-03-04T10:00", "ends_at": "2031-03-04T12:00"}
    answer = submit_form(coordinator_client, page, busy, form=action, button="refresh=1")
    assert answer.status_code == 200
    form = choose_form(read_forms(answer.get_data(as_text=True)), action, {})
    assert offered(form) == [] and form.named("starts_at")[0].value == "2031-03-04T10:00"
    assert count_rows(app, Task) == 1, "asking who is free makes no task"
    assert load(app, ServiceRequest, service_request.id).state == RequestState.NEW

    free = {"starts_at": "2031-03-05T09:00", "ends_at": "2031-03-05T11:00"}
    answer = submit_form(coordinator_client, page, free, form=action, button="refresh=1", htmx=True)
    choice = answer.get_data(as_text=True)
    assert f'id="assignee-choice-{service_request.id}"' in choice and f'value="{volunteer.id}"' in choice

    # The person chooses her in the list as it now stands, and makes the task.
    refreshed = submit_form(coordinator_client, page, free, form=action, button="refresh=1")
    form = choose_form(read_forms(refreshed.get_data(as_text=True)), action, {})
    coordinator_client.post(action, data=MultiDict(fill(form, {"assignee_id": str(volunteer.id)})))
    task = task_of(app, service_request.id)
    assert task.assignee_id == volunteer.id and task.state == TaskState.ASSIGNED


def test_typed_window_is_kept_after_an_error(coordinator_client, medicine, make_request):
    service_request = make_request(medicine)
    response = coordinator_client.post(
        f"/requests/{service_request.id}/task",
        data=task_form(starts_at="2031-05-06T15:30", ends_at="2031-05-06T14:00", room="402"),
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert 'value="2031-05-06T15:30"' in html and 'value="2031-05-06T14:00"' in html
    assert re.search(r'name="room"[^>]*value="402"', html)


def test_someone_of_another_station_cannot_be_given_the_task(
    app, coordinator_client, medicine, make_request, make_user, make_station
):
    outsider = make_user(Role.VOLUNTEER, station=make_station())
    service_request = make_request(medicine)
    response = coordinator_client.post(
        f"/requests/{service_request.id}/task", data=task_form(assignee_id=str(outsider.id))
    )
    assert response.status_code == 422
    assert "请选择本驿站在岗的人员" in form_error(response.get_data(as_text=True), "assignee_id")
    assert count_rows(app, Task) == 0


# Who may ----------------------------------------------------------------------------------------


def test_only_the_stations_admin_and_coordinators_may(
    app, auth, medicine, make_request, make_station, make_service
):
    service_request = make_request(medicine)
    url = f"/requests/{service_request.id}/task"
    anonymous = app.test_client().post(url, data=task_form())
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert app.test_client().post(url, data=task_form(), headers=HTMX).status_code == 401
    for role, kind in ((Role.VOLUNTEER, Kind.BUILDING_HEAD), (Role.SUPERADMIN, None)):
        assert auth.login(role, kind=kind).post(url, data=task_form()).status_code == 403
    outsider = auth.login(Role.ADMIN, station=make_station())
    assert outsider.post(url, data=task_form()).status_code == 404
    assert outsider.get(f"/requests/{service_request.id}").status_code == 404
    assert count_rows(app, Task) == 0
    assert auth.login(Role.ADMIN).post(url, data=task_form()).status_code == 302


def test_the_task_page_links_back_to_the_request(
    admin_client, medicine, make_request, make_request_task, make_user
):
    volunteer = make_user(Role.VOLUNTEER)
    service_request = make_request(medicine)
    task = make_request_task(service_request, admin_client.user, assignee=volunteer)
    html = admin_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "居民请求" in html and f'href="/requests/{service_request.id}"' in html
    assert service_request.reference in html


def test_a_task_from_a_request_is_for_the_staff_to_dispatch_not_open_to_anyone(
    app, coordinator_client, medicine, make_request
):
    service_request = make_request(medicine)
    coordinator_client.post(f"/requests/{service_request.id}/task", data=task_form())
    assert task_of(app, service_request.id).open_to_claim is False


def test_only_the_stations_staff_make_a_task_of_a_request_even_called_directly(
    app, medicine, make_request, make_user, make_station, make_request_task
):
    """The route lets staff only; the rule refuses anyone else too, should another caller appear."""
    service_request = make_request(medicine)
    for person in (
        make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD),
        make_user(Role.ADMIN, station=make_station()),
    ):
        with pytest.raises(RuleViolation) as refused:
            make_request_task(service_request, person)
        assert (refused.value.message, refused.value.field) == ("只有驿站工作人员可以执行此操作。", None)
    assert count_rows(app, Task) == 0
