"""A resident on a 360 px phone: from the menu to a confirmed request, with and without JavaScript.
Then the coordinator handles it from the inbox."""

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Building, RequestState, Role, Service, ServiceCategory, ServiceRequest
from tests.browser.conftest import has_horizontal_scroll, mark_page, screenshot, sign_in, was_not_reloaded
from tests.conftest import TEST_PASSWORD, persist


@pytest.fixture
def menu(app, station):
    care, everyday = persist(
        app,
        ServiceCategory(station_id=station.id, name="关爱老人", sort_order=1),
        ServiceCategory(station_id=station.id, name="便民服务", sort_order=2),
    )
    return persist(
        app,
        Service(
            station_id=station.id,
            category_id=care.id,
            title="送药上门",
            summary="行动不便的老人，可请志愿者代取常用药，送到家中。",
            when_offered="工作日 9:00–17:00",
            published=True,
            requestable=True,
        ),
        Service(station_id=station.id, category_id=everyday.id, title="水电小修", published=True),
    )


def stored_requests(app) -> list[ServiceRequest]:
    with app.app_context():
        requests = db.session.scalars(sa.select(ServiceRequest)).all()
        db.session.expunge_all()
    return list(requests)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_resident_goes_from_the_menu_to_a_confirmed_request(app, live_server, make_page, menu, javascript):
    page = make_page(javascript=javascript)
    page.goto(live_server + "/")
    assert not has_horizontal_scroll(page)

    if javascript:
        mark_page(page)
    page.locator(".category-filter").get_by_role("link", name="关爱老人").click()
    page.wait_for_url("**/s/haiyuan-lidu/?category=*")
    results = page.locator("#menu-results")
    results.get_by_text("水电小修").wait_for(state="detached")
    assert results.get_by_text("送药上门").is_visible()
    if javascript:
        assert was_not_reloaded(page), "htmx swapped the results; the page stayed"
    assert page.locator(".category-filter [aria-current=page]").inner_text() == "关爱老人"

    page.get_by_role("link", name="送药上门").click()
    page.get_by_role("link", name="我要申请").click()
    page.get_by_label("您的称呼").fill("王阿姨")
    page.get_by_label("楼栋").select_option(label="2号楼")
    page.get_by_label("单元和门牌号").fill("2单元301")
    page.get_by_label("电话").fill("13812345678")
    assert not has_horizontal_scroll(page)
    page.get_by_role("button", name="提交申请").click()

    page.wait_for_url("**/r/*")
    (stored,) = stored_requests(app)
    assert page.locator(".reference strong").inner_text() == stored.reference
    assert "谢谢，您的申请已收到" in page.locator("#flashes").inner_text()
    assert not has_horizontal_scroll(page)
    screenshot(page, f"menu-request-confirmed-{'js' if javascript else 'nojs'}-360")


def test_search_filters_as_the_resident_types(live_server, page, menu):
    page.goto(live_server + "/")
    page.get_by_label("查找服务").fill("水电")
    page.wait_for_url("**q=*")
    results = page.locator("#menu-results")
    assert results.get_by_text("水电小修").is_visible()
    assert results.get_by_text("送药上门").count() == 0


def test_a_bad_phone_is_shown_next_to_the_field_and_the_input_kept(live_server, page, menu):
    medicine = menu[0]
    page.goto(f"{live_server}/s/haiyuan-lidu/services/{medicine.id}/request")
    page.get_by_label("您的称呼").fill("王阿姨")
    page.get_by_label("电话").fill("12345")
    page.get_by_role("button", name="提交申请").click()
    assert "11 位" in page.locator("#phone-error").inner_text()
    assert page.get_by_label("您的称呼").input_value() == "王阿姨"
    box = page.get_by_role("button", name="提交申请").bounding_box()
    assert box["height"] >= 44


def test_coordinator_accepts_a_request_in_the_inbox_without_reloading(
    app, live_server, page, make_user, menu
):
    medicine = menu[0]
    with app.app_context():
        building_id = db.session.scalar(
            sa.select(Building.id).where(Building.station_id == medicine.station_id).limit(1)
        )
    persist(
        app,
        ServiceRequest(
            station_id=medicine.station_id,
            service_id=medicine.id,
            reference="DEMA3C",
            resident_name="王阿姨",
            building_id=building_id,
            phone="13812345678",
        ),
    )
    coordinator = make_user(Role.COORDINATOR)
    sign_in(page, live_server, coordinator.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/requests")
    row = page.locator(".request-row").first
    assert "138****5678" in row.inner_text()
    row.get_by_role("button", name="受理").click()
    row.locator(".badge.state-accepted").wait_for()
    assert page.url == f"{live_server}/requests"
    assert page.locator("#request-counts [aria-current=page] .count").inner_text() == "0"
    assert not has_horizontal_scroll(page)
    screenshot(page, "menu-inbox-360")
    (stored,) = stored_requests(app)
    assert stored.state == RequestState.ACCEPTED
