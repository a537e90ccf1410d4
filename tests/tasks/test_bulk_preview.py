"""Bulk actions show what they would write before writing; applying writes exactly the preview's
items that are still valid. Check-all and planned visits share one "already has an open task" rule."""

import re

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Task, TaskKind, TaskState
from tests.tasks.test_planning import PREVIEWED, check_all_form, tasks_by_beneficiary


def task_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Task))


def preview(client, data: dict) -> tuple[str, str]:
    html = client.post("/tasks/check-all/new", data=data).get_data(as_text=True)
    return html, PREVIEWED.search(html).group(1)


def test_check_all_skips_a_resident_who_already_has_an_open_visit(
    app, admin_client, make_beneficiary, make_task
):
    """Catches: a resident ending up with three open visit tasks after repeated check-alls."""
    visited = make_beneficiary(lives_alone=True, name="赵玉珍")
    make_task(TaskState.OPEN, beneficiary=visited)
    fresh = make_beneficiary(lives_alone=True, name="钱凤英")
    before = task_count(app)
    html, previewed = preview(admin_client, check_all_form())
    assert task_count(app) == before, "a preview writes nothing"
    assert "新建 1 项任务" in html and "跳过 1 位：已有同类未完成的任务" in html
    skipped = html.split("跳过</h3>")[1]
    assert "赵玉珍" in skipped and "钱凤英" not in skipped
    assert previewed == str(fresh.id)
    applied = admin_client.post(
        "/tasks/check-all/new", data={**check_all_form(), "previewed": previewed, "apply": "1"}
    )
    assert applied.status_code == 302
    created = tasks_by_beneficiary(app)
    assert len(created[visited.id]) == 1 and len(created[fresh.id]) == 1


def test_check_all_of_another_kind_is_not_blocked_by_an_open_visit(
    app, admin_client, make_beneficiary, make_task
):
    """Catches: the open-task rule ignoring the kind, so a medicine round skips everyone with a visit."""
    resident = make_beneficiary(lives_alone=True)
    make_task(TaskState.OPEN, beneficiary=resident)
    html, previewed = preview(admin_client, check_all_form(kind="medicine"))
    assert "新建 1 项任务" in html and previewed == str(resident.id)


def test_applying_writes_only_what_the_preview_showed_and_is_still_valid(
    app, admin_client, make_beneficiary, make_task
):
    """Catches: apply re-selecting from scratch (writing for people nobody saw) or trusting a stale list."""
    first = make_beneficiary(lives_alone=True)
    taken_meanwhile = make_beneficiary(lives_alone=True)
    _html, previewed = preview(admin_client, check_all_form())
    assert previewed == f"{first.id} {taken_meanwhile.id}"
    make_task(TaskState.OPEN, beneficiary=taken_meanwhile)  # someone planned a visit meanwhile
    unseen = make_beneficiary(lives_alone=True)  # and a resident joined the register
    admin_client.post("/tasks/check-all/new", data={**check_all_form(), "previewed": previewed, "apply": "1"})
    created = tasks_by_beneficiary(app)
    assert len(created[first.id]) == 1
    assert len(created[taken_meanwhile.id]) == 1, "no second open visit"
    assert unseen.id not in created, "nobody the preview did not show"


def test_planned_visits_are_previewed_and_then_written_as_shown(
    app, admin_client, make_beneficiary, make_task
):
    """Catches: 生成到期探访 writing at once, and a resident due after the preview slipping in."""
    due = make_beneficiary(visit_every_days=7)
    already = make_beneficiary(visit_every_days=7)
    make_task(TaskState.OPEN, beneficiary=already)
    before = task_count(app)
    page = admin_client.get("/tasks/generate-visits").get_data(as_text=True)
    assert task_count(app) == before, "the preview writes nothing"
    assert "新建 1 项任务" in page and "跳过 1 位" in page and "生成 1 项探访任务" in page
    previewed = PREVIEWED.search(page).group(1)
    assert previewed == str(due.id)
    later = make_beneficiary(visit_every_days=7)
    response = admin_client.post("/tasks/generate-visits", data={"previewed": previewed})
    assert response.status_code == 302
    created = tasks_by_beneficiary(app)
    assert len(created[due.id]) == 1 and len(created[already.id]) == 1 and later.id not in created
    with app.app_context():
        kinds = set(db.session.scalars(sa.select(Task.kind).where(Task.beneficiary_id == due.id)))
    assert kinds == {TaskKind.VISIT}


def test_a_post_without_a_preview_writes_nothing(app, admin_client, make_beneficiary):
    """Catches: the old one-click post still creating tasks blind."""
    make_beneficiary(visit_every_days=7)
    before = task_count(app)
    answer = admin_client.post("/tasks/generate-visits")
    assert answer.status_code == 200 and task_count(app) == before
    assert re.search("预览：尚未创建任何任务", answer.get_data(as_text=True))
