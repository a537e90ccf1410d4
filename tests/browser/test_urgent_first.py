"""At 360 px, what needs the secretary now is the first thing on /me and on /tasks/, above the
long lists, which fold ("还有 8 条") with or without JavaScript."""

# The factories are fixtures of other test packages, imported here; test arguments name them.
# ruff: noqa: F811

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Building,
    Role,
    Service,
    ServiceCategory,
    ServiceRequest,
    TaskState,
    VisitRecord,
)
from tests.browser.conftest import has_horizontal_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD, persist
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
from tests.shifts.conftest import SHANGHAI, make_shift  # noqa: F401


@pytest.fixture
def morning():
    """Today at 10:00 in Shanghai: "today's shifts" starting in 5 minutes need the day not to
    end first (at 23:57 they fell on tomorrow)."""
    today = datetime.now(SHANGHAI).date()
    with time_machine.travel(datetime.combine(today, time(10), tzinfo=SHANGHAI), tick=True):
        yield


@pytest.fixture
def busy_station(morning, app, station, make_user, make_shift, make_task):
    """Eleven of today's shifts still missing people, four new requests, a flag and a declined task."""
    soon = utcnow() + timedelta(minutes=5)
    for number in range(11):
        make_shift(title=f"驿站值班{number + 1}", starts_at=soon + timedelta(seconds=number), hours=0.1)
    with app.app_context():
        building_id = db.session.scalar(
            sa.select(Building.id).where(Building.station_id == station.id).limit(1)
        )
    category = persist(app, ServiceCategory(station_id=station.id, name="关爱老人", sort_order=1))
    service = persist(
        app, Service(station_id=station.id, category_id=category.id, title="送药上门", published=True)
    )
    for number in range(4):
        persist(
            app,
            ServiceRequest(
                station_id=station.id,
                service_id=service.id,
                reference=f"URG{number}AB",
                resident_name="钱凤英",
                building_id=building_id,
                unit_room="2单元301",
                phone="13812345678",
                preferred_time="明天上午",
                details="降压药快吃完了。",
            ),
        )
    volunteer = make_user(display_name="李志强")
    done = make_task(state=TaskState.DONE, assignee=volunteer)
    with app.app_context():
        db.session.scalar(sa.select(VisitRecord).where(VisitRecord.task_id == done.id)).flagged = True
        db.session.commit()
    make_task(state=TaskState.DECLINED, assignee=volunteer)
    for _ in range(8):
        make_task()


def test_urgent_items_come_first_and_long_lists_fold(live_server, make_page, make_user, busy_station):
    # Without JavaScript: folding is <details>, which needs none; with it nothing differs.
    page = make_page(javascript=False)
    sign_in(page, live_server, make_user(Role.ADMIN).username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    urgent = page.locator("#urgent")
    top = urgent.bounding_box()["y"]
    height = page.evaluate("document.body.scrollHeight")
    print(f"/me at 360 px: urgent block at y={top:.0f}, page height {height}")
    assert top < 300, "the urgent block opens the page"
    text = urgent.inner_text()
    assert "4 条新请求" in text and "李志强" in text
    assert "婉拒" in text, "the declined task is among the urgent items"
    assert "今天缺人的班次" in text
    more = urgent.get_by_text("还有 8 条")
    assert not urgent.get_by_text("驿站值班11").is_visible(), "the long list is folded"
    more.click()
    urgent.get_by_text("驿站值班11").wait_for()
    assert not has_horizontal_scroll(page)
    screenshot(page, "me-urgent-first-360-nojs")

    page.goto(f"{live_server}/tasks/")
    sections = page.locator(".dashboard > section")
    order = [sections.nth(index).get_attribute("id") for index in range(sections.count())]
    assert order[:3] == ["flagged", "declined", "waiting"]
    assert page.locator("#flagged").bounding_box()["y"] < 600
    assert page.locator("#unassigned").get_by_text("还有 3 条").is_visible()
    screenshot(page, "tasks-urgent-first-360-nojs")
