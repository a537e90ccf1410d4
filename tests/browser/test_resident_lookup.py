"""A resident on a 360 px phone finds her request again from the menu with its reference (单号)
and the end of her phone number; the follow-up page's progress reads as steps, not buttons."""

import pytest

from scheduler.models import Service, ServiceCategory, ServiceRequest
from tests.browser.conftest import has_horizontal_scroll, screenshot
from tests.conftest import persist
from tests.menu.conftest import buildings_of


@pytest.fixture
def sent_request(app, station):
    category = persist(app, ServiceCategory(station_id=station.id, name="关爱老人", sort_order=1))
    service = persist(
        app,
        Service(
            station_id=station.id, category_id=category.id, title="送药上门", published=True, requestable=True
        ),
    )
    return persist(
        app,
        ServiceRequest(
            station_id=station.id,
            service_id=service.id,
            reference="K7Q4MX",
            resident_name="钱凤英",
            building_id=buildings_of(app, station)[0].id,
            unit_room="2单元301",
            phone="13812345678",
        ),
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_resident_finds_her_request_from_the_menu(live_server, make_page, station, sent_request, javascript):
    page = make_page(javascript=javascript)
    page.goto(f"{live_server}/s/{station.slug}/")
    page.get_by_role("link", name="已经申请过？查询我的请求").click()
    page.wait_for_url(f"{live_server}/r")
    page.get_by_label("单号").fill("k7q4mx")
    page.get_by_label("手机号后4位").fill("5679")
    page.get_by_role("button", name="查看我的请求").click()
    page.get_by_text("单号或手机号不对").wait_for()
    assert page.get_by_label("单号").input_value() == "k7q4mx", "what was typed stays"
    assert not has_horizontal_scroll(page)
    screenshot(page, f"lookup-wrong-{'js' if javascript else 'nojs'}-360")

    page.get_by_label("手机号后4位").fill("5678")
    page.get_by_role("button", name="查看我的请求").click()
    page.wait_for_url(f"{live_server}/r/{sent_request.follow_token}")
    assert "K7Q4MX" in page.locator(".reference").inner_text()


def test_the_progress_steps_do_not_look_like_buttons(live_server, page, sent_request):
    page.goto(f"{live_server}/r/{sent_request.follow_token}")
    steps = page.locator(".request-steps li")
    assert steps.count() == 4
    for index in range(4):
        looks = steps.nth(index).evaluate(
            """step => { const style = getComputedStyle(step);
                return {border: style.borderTopWidth, background: style.backgroundColor,
                        cursor: style.cursor}; }"""
        )
        assert looks == {"border": "0px", "background": "rgba(0, 0, 0, 0)", "cursor": "auto"}, looks
    current = page.locator(".request-steps [aria-current=step]")
    assert current.inner_text() == "新请求"
    screenshot(page, "follow-up-steps-360")
