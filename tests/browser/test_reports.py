"""The secretary reads the monthly report on a phone, moves between months, and prints it on A4."""

# The report factories are fixtures of tests/reports, imported here; test arguments name them.
# ruff: noqa: F811

import re

from scheduler.models import AssignmentState, Kind
from tests.browser.conftest import ARTIFACTS, has_horizontal_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories_visits import make_beneficiary  # noqa: F401
from tests.menu.conftest import make_category, make_request, make_service  # noqa: F401
from tests.reports.conftest import MARCH_URL, in_march, make_done_task, march  # noqa: F401
from tests.shifts.conftest import make_shift, place  # noqa: F401

# PDF page boxes are in points: A4 is 595 × 842.
A4_MEDIA_BOX = re.compile(rb"/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]")


def test_secretary_reads_the_report_on_a_phone_and_changes_month_in_place(
    live_server, page, march, make_user, make_shift, place
):
    # A long name and many people: the table must still fit 360 px.
    busy = make_shift(starts_at=in_march(20), hours=3, capacity=12)
    for number in range(10):
        person = make_user(display_name=f"欧阳志愿者{number}号", kind=Kind.RESIDENT_VOLUNTEER)
        place(busy, person, AssignmentState.ATTENDED)
    sign_in(page, live_server, march.secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}{MARCH_URL}")

    assert page.title().startswith("2025年3月月度报表")
    assert "共有 14 名志愿者参与服务" in page.locator("#report").inner_text()
    assert not has_horizontal_scroll(page)
    screenshot(page, "reports-month-360")
    previous = page.get_by_role("link", name="‹ 上个月")
    assert previous.bounding_box()["height"] >= 44
    assert page.get_by_role("link", name=re.compile("下载 Excel 表格")).bounding_box()["height"] >= 44

    page.evaluate("window.notReloaded = true")
    previous.click()
    page.wait_for_url(f"{live_server}/reports/2025-02")
    page.get_by_role("heading", name="月度报表 · 2025年2月").wait_for()
    assert page.evaluate("window.notReloaded === true"), "only the report is swapped"
    assert page.title().startswith("2025年2月月度报表")
    assert not has_horizontal_scroll(page)

    page.go_back()
    page.get_by_role("heading", name="月度报表 · 2025年3月").wait_for()
    page.goto(f"{live_server}/reports/2025-02")  # the pushed address is a whole page
    assert page.locator(".topbar").is_visible() and page.locator("#report").is_visible()


def test_report_prints_on_a4_without_the_screen_controls(live_server, make_page, march):
    page = make_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server, march.secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}{MARCH_URL}")
    page.emulate_media(media="print")
    for hidden in (".topbar", ".report-nav", ".footer"):
        assert not page.locator(hidden).is_visible(), hidden
    assert page.locator("#volunteers-title").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "reports-month-a4.pdf"), prefer_css_page_size=True)
    assert A4_MEDIA_BOX.search(pdf), "the print sheet asks for A4"


def test_volunteer_is_refused_the_report_but_sees_their_hours(live_server, page, make_user):
    volunteer = make_user(display_name="王秀英")
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    assert page.locator("#my-hours-title").is_visible()
    assert page.get_by_role("link", name="月度报表").count() == 0
    assert page.goto(f"{live_server}/reports/").status == 403
