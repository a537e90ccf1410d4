"""The coordinator makes a task of a resident's request on a 360 px phone, with and without
JavaScript; the resident's follow-up page then shows who comes, by surname only."""

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Building,
    Kind,
    Role,
    Service,
    ServiceCategory,
    ServiceRequest,
    Task,
    TaskState,
    User,
)
from scheduler.shifts.weeks import local_today, local_zone
from scheduler.tasks import services
from tests.browser.conftest import has_horizontal_scroll, mark_page, screenshot, sign_in, was_not_reloaded
from tests.conftest import TEST_PASSWORD, persist
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401


@pytest.fixture
def waiting_request(app, station):
    with app.app_context():
        building_id = db.session.scalar(
            sa.select(Building.id).where(Building.station_id == station.id, Building.sort_order == 1)
        )
    category = persist(app, ServiceCategory(station_id=station.id, name="关爱老人", sort_order=1))
    medicine = persist(
        app,
        Service(
            station_id=station.id, category_id=category.id, title="送药上门", published=True, requestable=True
        ),
    )
    return persist(
        app,
        ServiceRequest(
            station_id=station.id,
            service_id=medicine.id,
            reference="DEMA3C",
            resident_name="钱凤英",
            building_id=building_id,
            unit_room="2单元301",
            phone="13812345678",
            preferred_time="明天上午",
            details="降压药快吃完了。",
        ),
    )


def stored_task(app) -> Task:
    """The task made of a request."""
    with app.app_context():
        task = db.session.scalars(sa.select(Task).where(Task.service_request_id.is_not(None))).one()
        db.session.expunge(task)
    return task


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_coordinator_makes_a_task_and_the_resident_sees_who_comes(
    app, station, live_server, make_page, make_user, waiting_request, javascript
):
    head = make_user(Role.VOLUNTEER, display_name="王建国", kind=Kind.BUILDING_HEAD, building_id=None)
    with app.app_context():
        db.session.get(User, head.id).building_id = waiting_request.building_id
        db.session.commit()
    coordinator = make_user(Role.COORDINATOR)
    page = make_page(javascript=javascript)
    sign_in(page, live_server, coordinator.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/requests/{waiting_request.id}")
    form = page.locator("#make-task")
    assert form.get_by_label("任务类型").input_value() == "medicine"
    assert form.get_by_label("门牌号").input_value() == "301"
    assert not has_horizontal_scroll(page)
    screenshot(page, f"request-task-form-{'js' if javascript else 'nojs'}-360")
    form.get_by_label("负责人").select_option(label="王建国 · 1号楼楼栋长 · 手头 0 项任务")
    button = form.get_by_role("button", name="创建任务")
    assert button.bounding_box()["height"] >= 44
    if javascript:
        mark_page(page)
    button.click()

    page.locator(".request-task a").wait_for()
    if javascript:
        assert was_not_reloaded(page), "htmx swapped the request's panel; the page stayed"
    assert page.url == f"{live_server}/requests/{waiting_request.id}"
    assert "请求已转为任务。" in page.locator("#flashes").inner_text()
    assert page.locator("#make-task").count() == 0
    assert not has_horizontal_scroll(page)
    screenshot(page, f"request-task-made-{'js' if javascript else 'nojs'}-360")
    task = stored_task(app)
    assert task.assignee_id == head.id

    with app.test_request_context():
        services.accept(db.session.get(Task, task.id), db.session.get(User, head.id))
    resident = make_page(javascript=javascript)
    resident.goto(f"{live_server}/r/{waiting_request.follow_token}")
    text = resident.locator(".state-explained").inner_text()
    assert "已安排王师傅于" in text and "王建国" not in resident.content()
    assert not has_horizontal_scroll(resident)
    screenshot(resident, f"request-task-follow-up-{'js' if javascript else 'nojs'}-360")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_changing_the_time_offers_who_is_free_then(
    app,
    live_server,
    make_page,
    make_user,
    make_task,  # noqa: F811 (fixture)
    waiting_request,
    javascript,
):
    """Catches the list of who goes staying that of the resident's wished time (tomorrow
    morning) after the coordinator types another day: the one volunteer, busy tomorrow
    morning, could not be chosen for the day after."""
    volunteer = make_user(Role.VOLUNTEER, display_name="陈志刚")
    with app.app_context():
        tomorrow = local_today() + timedelta(days=1)
        busy_from = datetime.combine(tomorrow, time(7), local_zone())
    make_task(TaskState.ASSIGNED, volunteer, starts_in=busy_from - utcnow(), duration=timedelta(hours=6))
    page = make_page(javascript=javascript)
    sign_in(page, live_server, make_user(Role.COORDINATOR).username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/requests/{waiting_request.id}")
    form = page.locator("#make-task")
    her = form.locator(f'#assignee_id option[value="{volunteer.id}"]')
    assert her.count() == 0, "busy at the time the resident wished"

    day_after = (tomorrow + timedelta(days=1)).isoformat()
    if javascript:
        mark_page(page)
    form.get_by_label("开始时间").fill(f"{day_after}T09:00")
    form.get_by_label("结束时间").fill(f"{day_after}T10:00")
    if not javascript:
        form.get_by_role("button", name="看看那时谁有空").click()
    her.wait_for(state="attached")
    if javascript:
        assert was_not_reloaded(page)
    assert form.get_by_label("开始时间").input_value() == f"{day_after}T09:00", "what was typed stays"
    screenshot(page, f"request-task-who-is-free-{'js' if javascript else 'nojs'}-360")
    form.get_by_label("负责人").select_option(str(volunteer.id))
    form.get_by_role("button", name="创建任务").click()
    page.locator(".request-task a").wait_for()
    task = stored_task(app)
    assert task.assignee_id == volunteer.id
