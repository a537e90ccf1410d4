"""A volunteer handles a task on the phone: see it on /me, accept, decline, mark done, claim."""

from datetime import timedelta

import pytest

from scheduler.extensions import db
from scheduler.models import Notice, Role, Task, TaskState, VisitRecord
from tests.conftest import form_error

HTMX = {"HX-Request": "true"}


@pytest.fixture
def volunteer(make_user):
    return make_user(Role.VOLUNTEER, display_name="刘志强")


@pytest.fixture
def volunteer_client(auth, volunteer):
    return auth.login(user=volunteer)


def done_form(task_id: int, **overrides) -> dict:
    prefix = f"task{task_id}-done-"
    data = {"health": "follow_up", "safety_hazard": "y", "note": "老人说膝盖疼，建议复查", "minutes": "40"}
    data.update(overrides)
    return {prefix + name: value for name, value in data.items() if value is not None}


def load_task(app, task_id: int) -> Task:
    with app.app_context():
        task = db.session.get(Task, task_id)
        db.session.expunge(task)
        return task


def test_my_tasks_are_listed_soonest_first_with_address_and_call_link(
    volunteer_client, volunteer, make_task, make_beneficiary
):
    later = make_task(
        TaskState.ASSIGNED,
        volunteer,
        make_beneficiary(name="王秀英", room="502"),
        starts_in=timedelta(days=2),
    )
    sooner = make_task(TaskState.ACCEPTED, volunteer, make_beneficiary(name="李桂兰", phone="13812345678"))
    response = volunteer_client.get("/me")
    html = response.get_data(as_text=True)
    assert html.index(f'id="task-{sooner.id}"') < html.index(f'id="task-{later.id}"')
    assert "李桂兰" in html and "1号楼1单元" in html and 'href="tel:13812345678"' in html
    assert "接受任务" in html and "完成任务" in html and "无法前往" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert 'hx-history="false"' in html


def test_accept_then_done_with_checklist_and_the_resident_disappears(
    app, volunteer_client, volunteer, make_task, make_beneficiary
):
    resident = make_beneficiary(name="赵玉珍", phone="13900001111", visit_every_days=14)
    task = make_task(TaskState.ASSIGNED, volunteer, resident)

    accepted = volunteer_client.post(f"/tasks/{task.id}/accept", headers=HTMX)
    card = accepted.get_data(as_text=True)
    assert accepted.status_code == 200
    assert card.lstrip().startswith(f'<article class="task-card" id="task-{task.id}"')
    assert "已接受" in card and "tel:13900001111" in card and "完成任务" in card

    finished = volunteer_client.post(f"/tasks/{task.id}/done", data=done_form(task.id), headers=HTMX)
    card = finished.get_data(as_text=True)
    assert finished.status_code == 200
    assert "已完成" in card and "探访记录已保存" in card
    assert "赵玉珍" not in card and "13900001111" not in card and "1号楼1单元" not in card

    page = volunteer_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "赵玉珍" not in page and "13900001111" not in page and "tel:" not in page
    assert "赵玉珍" not in volunteer_client.get("/me").get_data(as_text=True)
    with app.app_context():
        record = db.session.query(VisitRecord).filter_by(task_id=task.id).one()
        assert (record.flagged, record.safety_hazard, record.minutes) == (True, True, 40)
        assert db.session.get(Task, task.id).beneficiary.last_visit_at is not None


def test_plain_form_posts_go_back_to_the_card_on_my_page(volunteer_client, volunteer, make_task):
    task = make_task(TaskState.ASSIGNED, volunteer)
    response = volunteer_client.post(f"/tasks/{task.id}/accept")
    assert response.status_code == 302 and response.headers["Location"] == f"/me#task-{task.id}"
    card = volunteer_client.get("/me").get_data(as_text=True).split(f'id="task-{task.id}"')[1]
    assert "谢谢您前往" in card.split("</article>")[0], "said in the card, where the page lands"
    assert "谢谢您前往" not in volunteer_client.get("/me").get_data(as_text=True), "once"


def test_an_htmx_tap_answers_with_the_card_saying_what_happened(volunteer_client, volunteer, make_task):
    task = make_task(TaskState.ASSIGNED, volunteer)
    response = volunteer_client.post(f"/tasks/{task.id}/accept", headers=HTMX)
    card = response.get_data(as_text=True).split('id="flashes"')[0]
    assert 'class="card-feedback"' in card and "谢谢您前往" in card


def test_decline_needs_a_reason_and_then_the_task_is_gone(app, volunteer_client, volunteer, make_task):
    task = make_task(TaskState.ACCEPTED, volunteer)
    refused = volunteer_client.post(
        f"/tasks/{task.id}/decline", data={f"task{task.id}-decline-reason": "  "}, headers=HTMX
    )
    assert refused.status_code == 422
    assert form_error(refused.get_data(as_text=True), f"task{task.id}-decline-reason") == "请简要说明原因。"

    declined = volunteer_client.post(
        f"/tasks/{task.id}/decline", data={f"task{task.id}-decline-reason": "这周出差"}
    )
    assert declined.status_code == 302
    after = load_task(app, task.id)
    assert (after.state, after.assignee_id) == (TaskState.DECLINED, None)
    assert volunteer_client.get(f"/tasks/{task.id}").status_code == 404


def test_done_form_shows_each_error_next_to_its_field_and_keeps_what_was_typed(
    volunteer_client, volunteer, make_task
):
    task = make_task(TaskState.ACCEPTED, volunteer)
    response = volunteer_client.post(
        f"/tasks/{task.id}/done",
        data=done_form(task.id, health=None, note="", minutes="0", needs_help="y"),
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert form_error(html, f"task{task.id}-done-health") == "请选择一项。"
    assert form_error(html, f"task{task.id}-done-note") == "请简要记录探访情况。"
    assert form_error(html, f"task{task.id}-done-minutes") == "请填写 1 至 600 分钟。"
    assert f'<input checked id="task{task.id}-done-needs_help"' in html, "the ticked box stays ticked"
    assert '<details class="task-action" open>' in html


def test_plain_done_with_errors_answers_the_whole_page(volunteer_client, volunteer, make_task):
    task = make_task(TaskState.ACCEPTED, volunteer)
    response = volunteer_client.post(f"/tasks/{task.id}/done", data=done_form(task.id, minutes="abc"))
    assert response.status_code == 422
    assert "<html" in response.get_data(as_text=True)


def test_an_illegal_move_answers_409_with_the_reason(volunteer_client, volunteer, make_task):
    task = make_task(TaskState.ACCEPTED, volunteer)
    response = volunteer_client.post(f"/tasks/{task.id}/accept", headers=HTMX)
    assert response.status_code == 409
    assert "这项任务当前为“已接受”，不能变为“已接受”。" in response.get_data(as_text=True)


def test_an_assigned_task_cannot_be_marked_done_before_it_is_accepted(
    app, volunteer_client, volunteer, make_task
):
    """The page offers no done form before "accept"; a post sent anyway is refused with 409."""
    task = make_task(TaskState.ASSIGNED, volunteer)
    card = volunteer_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f"/tasks/{task.id}/done" not in card
    refused = volunteer_client.post(f"/tasks/{task.id}/done", data=done_form(task.id), headers=HTMX)
    assert refused.status_code == 409
    assert "不能变为“已完成”" in refused.get_data(as_text=True)
    assert load_task(app, task.id).state == TaskState.ASSIGNED
    with app.app_context():
        assert db.session.query(VisitRecord).filter_by(task_id=task.id).count() == 0


@pytest.mark.parametrize("state", [TaskState.ASSIGNED, TaskState.ACCEPTED, TaskState.DONE])
def test_volunteer_cannot_open_or_act_on_another_volunteers_task(auth, make_user, make_task, state):
    owner = make_user(Role.VOLUNTEER)
    task = make_task(state, owner, open_to_claim=False)
    intruder = auth.login(Role.VOLUNTEER)
    assert intruder.get(f"/tasks/{task.id}").status_code == 404
    for action in ("accept", "decline", "done", "claim"):
        assert intruder.post(f"/tasks/{task.id}/{action}", headers=HTMX).status_code == 404


def test_reassigned_volunteer_loses_the_task_and_is_told(app, auth, volunteer, make_user, make_task):
    task = make_task(TaskState.ACCEPTED, volunteer)
    first = auth.login(user=volunteer)
    admin = auth.login(Role.ADMIN)
    successor = make_user(Role.VOLUNTEER)
    assert admin.post(f"/tasks/{task.id}/assign", data={"assignee_id": successor.id}).status_code == 302
    assert first.get(f"/tasks/{task.id}").status_code == 404
    with app.app_context():
        # The volunteer heard of the task when it was given, then of its handing on.
        notice = db.session.query(Notice).filter_by(user_id=volunteer.id).order_by(Notice.id.desc()).first()
        assert "已改派他人" in notice.text and "老人" not in notice.text
    assert load_task(app, task.id).assignee_id == successor.id


def test_anyone_may_take_shows_only_the_building_until_claimed(
    app, volunteer_client, make_task, make_beneficiary
):
    task = make_task(open_to_claim=True, beneficiary=make_beneficiary(name="孙淑芬", building=2))
    home = volunteer_client.get("/me").get_data(as_text=True)
    assert "可领取的任务" in home and "2号楼" in home and "孙淑芬" not in home and "我来领取" in home

    claimed = volunteer_client.post(f"/tasks/{task.id}/claim", headers=HTMX)
    assert claimed.status_code == 200
    assert "孙淑芬" in claimed.get_data(as_text=True)
    after = load_task(app, task.id)
    assert (after.state, after.assignee_id) == (TaskState.ACCEPTED, volunteer_client.user.id)


def test_a_late_claim_is_told_someone_else_was_first(auth, make_task):
    task = make_task(open_to_claim=True)
    assert auth.login(Role.VOLUNTEER).post(f"/tasks/{task.id}/claim").status_code == 302
    late = auth.login(Role.VOLUNTEER).post(f"/tasks/{task.id}/claim", headers=HTMX)
    assert late.status_code == 409
    assert "这项任务已被其他人先领取了。" in late.get_data(as_text=True)


def test_tasks_not_offered_to_everyone_cannot_be_claimed(auth, make_task):
    task = make_task()
    assert auth.login(Role.VOLUNTEER).post(f"/tasks/{task.id}/claim").status_code == 404


def test_task_pages_are_kept_out_of_caches(auth, volunteer_client, volunteer, make_task):
    task = make_task(TaskState.ASSIGNED, volunteer)
    for client in (volunteer_client, auth.login(Role.ADMIN)):
        response = client.get(f"/tasks/{task.id}")
        assert response.headers["Cache-Control"] == "no-store"
        assert 'hx-history="false"' in response.get_data(as_text=True)


def test_nothing_of_another_station_reaches_a_volunteer(auth, make_station, make_user, make_task):
    elsewhere = make_station()
    outsider = auth.login(Role.VOLUNTEER, station=elsewhere)
    offered = make_task(open_to_claim=True)
    held = make_task(TaskState.ASSIGNED, make_user(Role.VOLUNTEER))
    assert "可领取的任务" not in outsider.get("/me").get_data(as_text=True)
    for task in (offered, held):
        assert outsider.get(f"/tasks/{task.id}").status_code == 404
        assert outsider.post(f"/tasks/{task.id}/claim").status_code == 404
