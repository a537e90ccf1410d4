"""Visit plans (``flask generate-visits`` and the staff button) and check-alls (fan-out)."""

import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Beneficiary, Kind, Role, Task, TaskBatch, TaskKind, TaskState
from scheduler.tasks.planning import generate_due_visits
from tests.factories_visits import building_of
from tests.forms import choose_form, fill, read_forms, submit_form

HTMX = {"HX-Request": "true"}


def tasks_by_beneficiary(app) -> dict[int, list[Task]]:
    with app.app_context():
        found: dict[int, list[Task]] = {}
        for task in db.session.scalars(sa.select(Task).order_by(Task.id)):
            found.setdefault(task.beneficiary_id, []).append(task)
        db.session.expunge_all()
        return found


@pytest.fixture
def head_of(app, station, make_user):
    def make(building: int, **fields):
        with app.app_context():
            building_id = building_of(station, building).id
        return make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, building_id=building_id, **fields)

    return make


def backdate_last_visit(app, beneficiary_id: int, days: int) -> None:
    with app.app_context():
        beneficiary = db.session.get(Beneficiary, beneficiary_id)
        beneficiary.last_visit_at = utcnow() - timedelta(days=days)
        beneficiary.refresh_visit_due()
        db.session.commit()


def test_generate_visits_creates_one_per_due_resident_and_nothing_the_second_time(
    app, runner, make_beneficiary, head_of
):
    head = head_of(1)
    never_visited = make_beneficiary(building=1, visit_every_days=7)
    long_ago = make_beneficiary(building=2, visit_every_days=14)
    backdate_last_visit(app, long_ago.id, days=20)
    recently = make_beneficiary(visit_every_days=14)
    backdate_last_visit(app, recently.id, days=3)
    make_beneficiary(visit_every_days=None)
    make_beneficiary(visit_every_days=7, active=False)

    first = runner.invoke(args=["generate-visits"])
    assert first.exit_code == 0 and "2 visit tasks created." in first.output
    created = tasks_by_beneficiary(app)
    assert set(created) == {never_visited.id, long_ago.id}
    assert created[never_visited.id][0].assignee_id == head.id, "given to the building head"
    assert created[never_visited.id][0].state == TaskState.ASSIGNED
    assert created[long_ago.id][0].state == TaskState.OPEN, "no head in 2号楼: left open"
    assert all(task.kind == TaskKind.VISIT for tasks in created.values() for task in tasks)

    second = runner.invoke(args=["generate-visits"])
    assert "0 visit tasks created." in second.output
    assert sum(len(tasks) for tasks in tasks_by_beneficiary(app).values()) == 2


def test_a_done_visit_makes_the_next_one_due_a_frequency_later(app, make_beneficiary, make_task, make_user):
    resident = make_beneficiary(visit_every_days=7)
    make_task(TaskState.DONE, make_user(Role.VOLUNTEER), resident)
    with app.test_request_context():
        assert generate_due_visits() == 0
        assert generate_due_visits(now=utcnow() + timedelta(days=8)) == 1


def test_a_cancelled_or_other_pending_visit_counts_correctly(app, make_beneficiary, make_task, make_user):
    cancelled = make_beneficiary(visit_every_days=7)
    make_task(TaskState.CANCELLED, beneficiary=cancelled)
    declined = make_beneficiary(visit_every_days=7)
    make_task(TaskState.DECLINED, make_user(Role.VOLUNTEER), declined)
    with app.test_request_context():
        assert generate_due_visits() == 1, "a cancelled visit is no visit; a declined one is still pending"


def test_generate_visits_only_touches_the_named_station(app, runner, make_station, make_beneficiary):
    make_beneficiary(visit_every_days=7)
    other = make_station(slug="other-station")
    make_beneficiary(station=other, visit_every_days=7)
    assert (
        "1 visit tasks created."
        in runner.invoke(args=["generate-visits", "--station", "other-station"]).output
    )
    assert runner.invoke(args=["generate-visits", "--station", "nowhere"]).exit_code != 0


def test_staff_button_plans_due_visits(app, admin_client, make_beneficiary):
    make_beneficiary(visit_every_days=7)
    response = submit_form(admin_client, "/tasks/generate-visits")
    assert response.status_code == 302
    assert "已生成 1 项探访任务。" in admin_client.get("/tasks/").get_data(as_text=True)
    again = admin_client.get("/tasks/generate-visits").get_data(as_text=True)
    assert "新建 0 项任务" in again and "跳过 1 位" in again, "the preview shows nothing left to create"


def test_each_move_of_a_planned_visit_is_logged_with_its_states_and_who_moved_it(
    app, admin_client, auth, make_beneficiary, head_of, caplog
):
    """The log is the audit trail of moves: the plan gives the visit (no user), the head accepts it."""
    head = head_of(1)
    make_beneficiary(building=1, visit_every_days=7)
    caplog.set_level(logging.INFO, logger="scheduler.tasks")
    submit_form(admin_client, "/tasks/generate-visits")
    with app.app_context():
        task_id = db.session.scalar(sa.select(Task.id))
    submit_form(auth.login(user=head), "/me", form=f"/tasks/{task_id}/accept")
    moves = [record.getMessage() for record in caplog.records if record.getMessage().startswith("task ")]
    assert moves == [
        f"task {task_id}: open -> assigned by user -",
        f"task {task_id}: assigned -> accepted by user {head.id}",
    ]


def check_all_form(**overrides) -> dict:
    data = {
        "title": "寒潮前探访",
        "building_id": "",
        "lives_alone": "y",
        "kind": "visit",
        "starts_at": "2030-01-05T09:00",
        "ends_at": "2030-01-06T18:00",
        "instructions": "检查暖气和门窗",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


PREVIEWED = re.compile(r'name="previewed" type="hidden" value="([^"]*)"')


def apply_check_all(client, data: dict):
    """Preview the check-all, then press "create" on the preview, as the secretary does."""
    preview = client.post("/tasks/check-all/new", data=data)
    assert preview.status_code == 200, preview.status_code
    previewed = PREVIEWED.search(preview.get_data(as_text=True)).group(1)
    return client.post("/tasks/check-all/new", data={**data, "previewed": previewed, "apply": "1"})


def test_check_all_creates_exactly_one_task_per_matching_resident(
    app, admin_client, make_beneficiary, head_of, station
):
    head = head_of(2)
    alone_in_two = [make_beneficiary(building=2, lives_alone=True) for _ in range(3)]
    make_beneficiary(building=2, lives_alone=False)
    make_beneficiary(building=1, lives_alone=True)
    make_beneficiary(building=2, lives_alone=True, active=False)
    with app.app_context():
        building_two = building_of(station, 2).id

    response = apply_check_all(admin_client, check_all_form(building_id=str(building_two)))
    assert response.status_code == 302
    created = tasks_by_beneficiary(app)
    assert sorted(created) == sorted(b.id for b in alone_in_two)
    assert all(len(tasks) == 1 for tasks in created.values())
    assert {tasks[0].assignee_id for tasks in created.values()} == {head.id}

    with app.app_context():
        batch = db.session.scalars(sa.select(TaskBatch)).one()
    assert response.headers["Location"] == f"/tasks/check-all/{batch.id}"
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "寒潮前探访" in page and "2号楼 · 独居" in page and "已完成 0 / 3" in page
    assert all(b.name in page for b in alone_in_two)


def test_check_all_progress_follows_completion(app, admin_client, auth, make_beneficiary, head_of):
    head = head_of(1)
    make_beneficiary(building=1, lives_alone=True)
    make_beneficiary(building=1, lives_alone=True)
    apply_check_all(admin_client, check_all_form())
    with app.app_context():
        batch_id = db.session.scalar(sa.select(TaskBatch.id))
        first = db.session.scalars(sa.select(Task).order_by(Task.id)).first()
    volunteer = auth.login(user=head)
    volunteer.post(f"/tasks/{first.id}/accept")
    volunteer.post(
        f"/tasks/{first.id}/done",
        data={
            f"task{first.id}-done-health": "good",
            f"task{first.id}-done-note": "很好",
            f"task{first.id}-done-minutes": "15",
        },
    )
    page = admin_client.get(f"/tasks/check-all/{batch_id}", headers=HTMX).get_data(as_text=True)
    assert "已完成 1 / 2" in page


def history_of(client, task_id: int) -> list[str]:
    """The lines of the task page's history, oldest first, as people read them."""
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    section = html[html.index('<ol class="history">') : html.index("</ol>")]
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in section.split("<li>")[1:]]


def test_a_check_all_task_given_to_the_building_head_is_recorded_as_given_by_its_creator(
    app, admin_client, make_beneficiary, head_of
):
    """Catches: the assignment credited to the visit plan (the system), or listed before the creation."""
    head = head_of(1, display_name="楼长老陈")
    make_beneficiary(building=1, lives_alone=True)
    preview = submit_form(admin_client, "/tasks/check-all/new", {"title": "寒潮前探访", "lives_alone": True})
    form = choose_form(read_forms(preview.get_data(as_text=True)), None, {})
    create = next(button for button in form.buttons() if button.name == "apply")
    admin_client.post("/tasks/check-all/new", data=MultiDict([*fill(form, {}), (create.name, create.value)]))
    with app.app_context():
        task_id = db.session.scalar(sa.select(Task.id))
    creator = admin_client.user.display_name
    lines = [line.split(" · ", 1)[1] for line in history_of(admin_client, task_id)]
    assert lines == [f"{creator} · 创建任务", f"{creator} · 待分配 → 已指派，待接受 ({head.display_name})"]


def test_check_all_with_no_match_says_so_next_to_the_filter(admin_client, make_beneficiary):
    make_beneficiary(lives_alone=False)
    response = admin_client.post("/tasks/check-all/new", data=check_all_form())
    assert response.status_code == 422
    assert 'id="building_id-error">没有符合条件的关爱对象。' in response.get_data(as_text=True)
    assert 'value="寒潮前探访"' in response.get_data(as_text=True)


def test_check_all_needs_a_title_and_a_window(admin_client, make_beneficiary):
    make_beneficiary(lives_alone=True)
    response = admin_client.post("/tasks/check-all/new", data=check_all_form(title="", ends_at=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="title-error"' in html and 'id="ends_at-error">请填写日期和时间。' in html
