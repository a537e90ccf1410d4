"""The public board (公示) on a resident's phone, with and without JavaScript, and on the A4
sheet for the station's wall; a volunteer takes themselves off it from /me; the report's
charts on a phone and on A4."""

# The report factories are fixtures of tests/reports, imported here; test arguments name them.
# ruff: noqa: F811

import re

import pytest
from playwright.sync_api import expect

from scheduler.models import Kind, Role
from tests.browser.conftest import (
    ARTIFACTS,
    PHONE,
    has_horizontal_scroll,
    mark_page,
    screenshot,
    sign_in,
    was_not_reloaded,
)
from tests.browser.test_reports import A4_MEDIA_BOX
from tests.conftest import TEST_PASSWORD
from tests.factories_visits import make_beneficiary  # noqa: F401
from tests.menu.conftest import make_category, make_request, make_service  # noqa: F401
from tests.reports.conftest import MARCH_URL, make_done_task, march  # noqa: F401
from tests.shifts.conftest import make_shift, place  # noqa: F401

BOARD = "/s/haiyuan-lidu/board"
# The printable part of an A4 sheet at 96 dpi (210 × 297 mm less the board's margins): what
# the print-media screenshots show is what lands on paper.
A4 = {"width": 703, "height": 1047}


# The board has no htmx: with scripts on or off it must read the same ("scripts", not the
# "javascript" parameter whose journeys must use htmx).
@pytest.mark.parametrize("scripts", [False, True], ids=["no-js", "js"])
def test_a_resident_reads_the_board_on_a_phone(live_server, make_page, demo, scripts):
    page = make_page(viewport=PHONE, javascript=scripts)
    page.goto(f"{live_server}/s/haiyuan-lidu/")
    page.get_by_role("link", name=re.compile("驿站公示栏")).click()
    page.wait_for_url(f"{live_server}{BOARD}")
    assert page.title().startswith("公示栏")
    for heading in ("楼栋长", "党员", "志愿者", "本周值班"):
        assert page.get_by_role("heading", name=re.compile(heading)).first.is_visible(), heading
    assert page.locator(".board-buildings tbody tr").count() == 21
    assert page.locator(".board-phone").count() > 0
    assert not has_horizontal_scroll(page)
    screenshot(page, f"board-360-{'js' if scripts else 'no-js'}")
    page.get_by_role("link", name="‹ 我们的服务").click()
    page.wait_for_url(f"{live_server}/s/haiyuan-lidu/")


def test_the_board_prints_on_one_a4_sheet_for_the_wall(live_server, make_page, demo):
    page = make_page(viewport=A4)
    page.goto(f"{live_server}{BOARD}")
    page.emulate_media(media="print")
    for hidden in (".topbar", ".footer", ".board-head .no-print"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator("#board-roster-title").is_visible()
    assert page.evaluate("document.documentElement.scrollHeight") <= A4["height"], "one sheet for the wall"
    screenshot(page, "board-a4-print")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "board-a4.pdf"), prefer_css_page_size=True)
    assert A4_MEDIA_BOX.search(pdf), "the sheet asks for A4"


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_volunteer_takes_themselves_off_the_board_from_me(live_server, make_page, make_user, javascript):
    person = make_user(display_name="欧阳秀英", kind=Kind.RESIDENT_VOLUNTEER, phone="13912345678")
    page = make_page(viewport=PHONE, javascript=javascript)
    sign_in(page, live_server, person.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    section = page.locator(".board-consent")
    section.get_by_text("更改我的选择").click()  # folded, so that /me stays short
    section.get_by_label(re.compile("公示我的姓名")).check()
    section.get_by_label(re.compile("13912345678")).check()
    section.get_by_role("button", name="保存我的选择").click()
    page.get_by_text("已保存，公示栏已更新。").wait_for()
    # The sentence above the folded boxes says so too, not only the boxes the swap replaced.
    expect(page.locator("#board-standing")).to_contain_text("起在驿站公示栏公示")
    assert not has_horizontal_scroll(page)
    screenshot(page, f"board-consent-me-360-{'js' if javascript else 'no-js'}")

    resident = make_page(viewport=PHONE, javascript=False)
    resident.goto(f"{live_server}{BOARD}")
    assert "欧阳秀英" in resident.content() and "13912345678" in resident.content()

    page.goto(f"{live_server}/me")
    section = page.locator(".board-consent")
    section.get_by_text("更改我的选择").click()
    section.get_by_label(re.compile("公示我的姓名")).uncheck()
    section.get_by_label(re.compile("13912345678")).uncheck()
    section.get_by_role("button", name="保存我的选择").click()
    page.get_by_text("已保存，公示栏已更新。").wait_for()
    expect(page.locator("#board-standing")).to_contain_text("您未在驿站公示栏公示")
    resident.goto(f"{live_server}{BOARD}")
    assert "欧阳秀英" not in resident.content() and "13912345678" not in resident.content()


def test_the_secretary_records_a_consent_and_sees_it_in_the_record_at_once(live_server, page, make_user):
    """Catches the page's sentence and record of consent left as they were before the save."""
    person = make_user(display_name="欧阳秀英", kind=Kind.RESIDENT_VOLUNTEER)
    secretary = make_user(Role.ADMIN)
    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/people/{person.id}/board")
    mark_page(page)
    page.get_by_label(re.compile("公示本人姓名")).check()
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_text("已保存，公示栏已更新。").wait_for()
    expect(page.locator("#board-standing")).to_contain_text("起公示")
    expect(page.locator("#consent-history li")).to_have_count(1)
    assert was_not_reloaded(page)


def test_the_reports_charts_read_on_a_phone(live_server, page, march):
    sign_in(page, live_server, march.secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}{MARCH_URL}")
    charts = page.locator("svg.chart-svg")
    assert charts.count() == 4
    for index in range(4):
        box = charts.nth(index).bounding_box()
        assert box["width"] <= 360 and box["height"] > 120
    assert page.get_by_role("img", name="按服务类别的服务时长").is_visible()
    assert page.get_by_role("table", name="按服务类别的服务时长").count() == 1
    assert not has_horizontal_scroll(page)
    page.locator("#trends-title").scroll_into_view_if_needed()
    page.locator(".report-trends").screenshot(path=str(screenshot(page, "report-charts-360")))


def test_the_reports_charts_print_on_a4(live_server, make_page, march):
    page = make_page(viewport=A4)
    sign_in(page, live_server, march.secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}{MARCH_URL}")
    page.emulate_media(media="print")
    assert page.locator("svg.chart-svg").first.is_visible()
    page.locator(".report-trends").screenshot(path=str(ARTIFACTS / "report-charts-a4-print.png"))
    pdf = page.pdf(path=str(ARTIFACTS / "report-charts-a4.pdf"), prefer_css_page_size=True)
    assert A4_MEDIA_BOX.search(pdf)
