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
