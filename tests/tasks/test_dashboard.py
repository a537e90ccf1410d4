"""The secretary's dashboard and its compact twin on /me."""

import re
from datetime import timedelta

import pytest

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Health, Role, Task, TaskState, User
from scheduler.tasks import services
from scheduler.tasks.services import Checklist

HTMX = {"HX-Request": "true"}


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else None]


def backdate_assignment(app, task_id: int, hours: int) -> None:
    with app.app_context():
        db.session.get(Task, task_id).state_changed_at = utcnow() - timedelta(hours=hours)
        db.session.commit()


def complete_with(app, task: Task, checklist: Checklist, note: str = "需要关注") -> None:
    with app.test_request_context():
        holder = db.session.get(User, task.assignee_id)
        services.complete(db.session.get(Task, task.id), holder, checklist, note, 20)


@pytest.fixture
def volunteer(make_user):
    return make_user(Role.VOLUNTEER, display_name="吴建军")


def test_dashboard_shows_what_needs_the_secretary(app, admin_client, volunteer, make_task, make_beneficiary):
    overdue = make_task(
        TaskState.ASSIGNED, volunteer, make_beneficiary(name="逾期老人"), starts_in=-timedelta(days=2)
    )
    unassigned = make_task(beneficiary=make_beneficiary(name="无人老人"), starts_in=timedelta(days=3))
    waiting = make_task(
        TaskState.ASSIGNED, volunteer, make_beneficiary(name="等待老人"), starts_in=timedelta(days=3)
    )
    backdate_assignment(app, waiting.id, hours=5)
    make_task(TaskState.DECLINED, volunteer, make_beneficiary(name="婉拒老人"), starts_in=timedelta(days=3))
    make_beneficiary(name="超期老人", visit_every_days=7)

    html = admin_client.get("/tasks/").get_data(as_text=True)
    today = section(html, "today")
    assert "逾期老人" in today and "已逾期" in today and "无人老人" not in today
    assert "无人老人" in section(html, "unassigned")
    assert "等待老人" in section(html, "waiting") and "逾期老人" not in section(html, "waiting")
    declined = section(html, "declined")
    assert "婉拒老人" in declined and "吴建军: “临时有事”" in declined
    not_visited = section(html, "not-visited")
    assert "超期老人" in not_visited and "尚无探访安排" in not_visited
    # Each entry opens its own task, where the secretary acts on it.
    assert f'href="/tasks/{overdue.id}"' in today
    assert f'href="/tasks/{unassigned.id}"' in section(html, "unassigned")
    assert f'href="/tasks/{waiting.id}"' in section(html, "waiting")
    assert f'href="/tasks/{unassigned.id}"' not in today


def test_hours_before_a_task_counts_as_not_accepted_are_configurable(
    app, admin_client, volunteer, make_task, make_beneficiary
):
    task = make_task(
        TaskState.ASSIGNED, volunteer, make_beneficiary(name="等待老人"), starts_in=timedelta(days=3)
    )
    backdate_assignment(app, task.id, hours=5)
    app.config["TASK_ACCEPT_WITHIN_HOURS"] = 10
    html = admin_client.get("/tasks/").get_data(as_text=True)
    assert "等待老人" not in section(html, "waiting") and "指派超过 10 小时仍未接受" in html
    app.config["TASK_ACCEPT_WITHIN_HOURS"] = 4
    assert "等待老人" in section(admin_client.get("/tasks/").get_data(as_text=True), "waiting")


def test_a_flagged_visit_stays_until_someone_handles_it(
    app, admin_client, volunteer, make_task, make_beneficiary
):
    task = make_task(TaskState.ACCEPTED, volunteer, make_beneficiary(name="隐患老人"))
    complete_with(app, task, Checklist(Health.GOOD, safety_hazard=True), note="煤气灶漏气")
    fine = make_task(TaskState.ACCEPTED, volunteer, make_beneficiary(name="安好老人"))
    complete_with(app, fine, Checklist(Health.GOOD), note="一切正常")

    flagged = section(admin_client.get("/tasks/").get_data(as_text=True), "flagged")
    assert "隐患老人" in flagged and "煤气灶漏气" in flagged and "家中有安全隐患" in flagged
    assert "安好老人" not in flagged
    record_id = re.search(r'id="flag-(\d+)"', flagged).group(1)

    refused = admin_client.post(
        f"/tasks/flags/{record_id}/handled", data={f"flag{record_id}-note": ""}, headers=HTMX
    )
    assert refused.status_code == 422 and "请写明处理情况。" in refused.get_data(as_text=True)
    handled = admin_client.post(
        f"/tasks/flags/{record_id}/handled",
        data={f"flag{record_id}-note": "已联系燃气公司维修"},
        headers=HTMX,
    )
    assert handled.status_code == 200 and "已联系燃气公司维修" in handled.get_data(as_text=True)
    assert "隐患老人" not in section(admin_client.get("/tasks/").get_data(as_text=True), "flagged")
    again = admin_client.post(
        f"/tasks/flags/{record_id}/handled", data={f"flag{record_id}-note": "再次"}, headers=HTMX
    )
    assert again.status_code == 409


def test_residents_overdue_for_a_visit_show_who_is_going(
    admin_client, volunteer, make_task, make_beneficiary
):
    resident = make_beneficiary(name="计划老人", visit_every_days=7)
    make_task(TaskState.ASSIGNED, volunteer, resident)
    not_visited = section(admin_client.get("/tasks/").get_data(as_text=True), "not-visited")
    assert "计划老人" in not_visited and "已安排探访" in not_visited and "吴建军" in not_visited


def test_staff_see_the_dashboard_in_numbers_on_their_page(admin_client, make_task, make_beneficiary):
    make_task()
    make_beneficiary(visit_every_days=3)
    html = admin_client.get("/me").get_data(as_text=True)
    assert "探访概况" in html
    assert re.search(r"<strong>1</strong> 待分配", html)
    assert re.search(r"<strong>1</strong> 位老人超期未探访", html)


def test_volunteers_do_not_get_the_staff_numbers(volunteer_client):
    assert "探访概况" not in volunteer_client.get("/me").get_data(as_text=True)


def fill(make_task, make_beneficiary, make_user, rows: int) -> None:
    volunteer = make_user(Role.VOLUNTEER)
    for number in range(rows):
        state = [TaskState.OPEN, TaskState.ASSIGNED, TaskState.DECLINED, TaskState.DONE][number % 4]
        make_task(
            state,
            volunteer,
            make_beneficiary(visit_every_days=7, lives_alone=True),
            starts_in=-timedelta(hours=1),
        )


@pytest.mark.parametrize(
    "url",
    [
        "/tasks/",
        "/tasks/all",
        "/beneficiaries/",
        "/beneficiaries/access-log",
        "/tasks/check-all/{batch}",
        "/me",
    ],
)
def test_list_pages_run_a_constant_number_of_queries(
    app, admin_client, make_task, make_beneficiary, make_user, count_queries, url
):
    def queries(batch: int) -> int:
        with count_queries() as counter:
            assert admin_client.get(url.format(batch=batch)).status_code == 200
        return counter.count

    fill(make_task, make_beneficiary, make_user, 2)
    admin_client.get("/beneficiaries/1")
    few = queries(batch=check_all(admin_client))
    fill(make_task, make_beneficiary, make_user, 12)
    for beneficiary_id in range(1, 8):
        admin_client.get(f"/beneficiaries/{beneficiary_id}")
    assert queries(batch=check_all(admin_client)) == few


def check_all(client) -> int:
    """A check-all of everyone living alone (every resident ``fill`` makes), previewed and applied; its id."""
    form = {
        "title": "普查",
        "lives_alone": "y",
        "kind": "other",  # ``fill``'s open visits would be skipped
        "starts_at": "2030-01-05T09:00",
        "ends_at": "2030-01-05T18:00",
    }
    preview = client.post("/tasks/check-all/new", data=form).get_data(as_text=True)
    previewed = re.search(r'name="previewed" type="hidden" value="([^"]*)"', preview).group(1)
    response = client.post("/tasks/check-all/new", data={**form, "previewed": previewed, "apply": "1"})
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_my_tasks_run_a_constant_number_of_queries(auth, make_user, make_task, count_queries):
    volunteer = make_user(Role.VOLUNTEER)
    client = auth.login(user=volunteer)

    def queries() -> int:
        with count_queries() as counter:
            client.get("/me")
        return counter.count

    make_task(TaskState.ASSIGNED, volunteer)
    make_task(open_to_claim=True)
    few = queries()
    for _ in range(5):
        make_task(TaskState.ACCEPTED, volunteer)
        make_task(open_to_claim=True)
    assert queries() == few


def test_staff_task_page_shows_the_residents_phone_masked(admin_client, make_task, make_beneficiary):
    """Staff recognise the number on the task page; the full one is on the register, logged."""
    task = make_task(beneficiary=make_beneficiary(name="赵玉珍", phone="13900001111"))
    html = admin_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "赵玉珍" in html and "139****1111" in html
    assert "13900001111" not in html and "tel:" not in html
