"""A volunteer signs in on a phone and lands on their own page."""

from scheduler.models import Kind, Role
from tests.browser.conftest import has_horizontal_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD


def test_volunteer_signs_in_on_a_phone_and_sees_my_page(live_server, page, make_user, station):
    volunteer = make_user(Role.VOLUNTEER, display_name="王秀英", kind=Kind.BUILDING_HEAD)
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    assert page.locator("h1").inner_text() == "王秀英，您好"
    assert station.name in page.locator(".profile-line").inner_text()
    assert "楼栋长" in page.locator(".profile-line").inner_text()
    assert not has_horizontal_scroll(page)
    screenshot(page, "foundation-me-360")


def test_public_start_page_and_login_fit_a_phone(live_server, page, station):
    page.goto(live_server + "/")
    assert station.name in page.locator("h1").inner_text()
    assert not has_horizontal_scroll(page)
    page.goto(live_server + "/auth/login")
    assert not has_horizontal_scroll(page)
    box = page.locator("main button[type=submit]").bounding_box()
    assert box["height"] >= 44


def test_a_held_back_sign_in_says_how_long_to_wait_on_a_phone(live_server, page, make_user):
    volunteer = make_user(Role.VOLUNTEER)
    for _ in range(5):
        sign_in(page, live_server, volunteer.username, "wrong-password-x")
        assert "用户名或密码不正确" in page.locator("main").inner_text()
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    message = page.locator("main").inner_text()
    assert "登录失败次数太多，请等待15分钟后再试" in message
    assert page.locator("#username").input_value() == volunteer.username
    assert not has_horizontal_scroll(page)
    screenshot(page, "sign-in-held-back-360")
