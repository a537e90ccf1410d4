"""The secretary plans on a desktop; a volunteer answers and signs up on a phone."""

# The shift factories are fixtures of tests/shifts, imported here; test arguments name them.
# ruff: noqa: F811

from datetime import time, timedelta

from scheduler.models import AssignmentState, Kind, Role
from tests.browser.conftest import has_horizontal_scroll, mark_page, screenshot, sign_in, was_not_reloaded
from tests.conftest import TEST_PASSWORD
from tests.shifts.conftest import days_from_now, make_shift, place, week_of  # noqa: F401

DESKTOP = {"width": 1280, "height": 900}


def test_secretary_assigns_a_volunteer_on_the_week_board_without_a_reload(
    live_server, make_page, make_user, make_shift, place
):
    secretary = make_user(Role.ADMIN, display_name="王书记")
    shift = make_shift(title="驿站值班", capacity=2, starts_at=days_from_now(2, time(9, 0)))
    place(shift, make_user(display_name="李德明"))
    make_user(display_name="张桂兰", kind=Kind.BUILDING_HEAD)
    page = make_page(viewport=DESKTOP)
    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    board_url = f"{live_server}{week_of(shift.starts_at)}"
    page.goto(board_url)
    mark_page(page)

    card = page.locator(f"#shift-{shift.id}")
    assert "1/2" in card.inner_text()
    assert "1 个班次未排满" in page.locator("#week-counts").inner_text()
    card.get_by_role("link", name="安排").click()
    picker = page.locator("#picker-panel")
    picker.get_by_text("谁来值“驿站值班”？").wait_for()
    picker.get_by_role("button", name="安排 张桂兰").click()

    page.locator(f"#shift-{shift.id}").get_by_text("张桂兰").wait_for()
    assert "2/2" in page.locator(f"#shift-{shift.id}").inner_text()
    assert "已安排 张桂兰 上这个班次。" in page.locator("#flashes").inner_text()
    assert was_not_reloaded(page) and page.url == board_url
    assert not picker.is_visible(), "a full shift needs no picker"
    assert "未排满" not in page.locator("#week-counts").inner_text(), "the week's count follows"
    screenshot(page, "shifts-board-assign-1280")

    this_week_title = page.locator("#week-title").inner_text()
    page.get_by_role("link", name="下一周 ›").click()
    next_week = f"{live_server}{week_of(shift.starts_at + timedelta(days=7))}"
    page.wait_for_url(next_week)
    page.locator("#week-title").filter(has_not_text=this_week_title).wait_for()
    assert page.locator(f"#shift-{shift.id}").count() == 0, "the board shows the next week's shifts"
    assert was_not_reloaded(page), "week navigation swaps the board only"
    page.goto(next_week)  # the pushed address works when opened directly
    assert page.locator("#week-board").is_visible()


def test_volunteer_confirms_and_signs_up_on_a_phone(live_server, page, make_user, make_shift, place):
    volunteer = make_user(display_name="王秀英", kind=Kind.RESIDENT_VOLUNTEER)
    assigned = make_shift(title="驿站值班", starts_at=days_from_now(1, time(9, 0)), self_signup=False)
    place(assigned, volunteer, AssignmentState.ASSIGNED)
    make_shift(
        title="剪纸课", location="时光忆站", capacity=3, starts_at=days_from_now(2, time(9, 30)), hours=1.5
    )
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    mark_page(page)
    assert not has_horizontal_scroll(page)
    screenshot(page, "shifts-me-before-360")

    mine = page.locator("#my-shifts")
    confirm = mine.get_by_role("button", name="确认参加")
    assert confirm.bounding_box()["height"] >= 44
    confirm.click()
    page.locator("#flashes").get_by_text("已确认，谢谢您！").wait_for()
    first_item = page.locator("#my-shifts .my-shift").first
    assert "驿站值班" in first_item.inner_text() and "已确认" in first_item.inner_text()

    page.locator("#my-shifts .more-box > summary").click()  # open shifts are folded under "more"
    sign_up = page.locator("#my-shifts .open-shift", has_text="剪纸课").get_by_role("button", name="我要报名")
    assert sign_up.bounding_box()["height"] >= 44
    sign_up.click()
    page.locator("#flashes").get_by_text("报名成功，谢谢您！").wait_for()
    assert "驿站值班" in page.locator("#my-shifts .my-list").first.inner_text(), "the next one, first"
    assert "剪纸课" in page.locator("#my-shifts .more-box .my-shift").first.inner_text(), (
        "then the later ones"
    )
    assert was_not_reloaded(page)
    assert not has_horizontal_scroll(page)
    screenshot(page, "shifts-me-after-360")


def test_board_and_forms_fit_a_phone(live_server, page, make_user, make_shift):
    coordinator = make_user(Role.COORDINATOR)
    shift = make_shift()
    sign_in(page, live_server, coordinator.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    for path in (week_of(shift.starts_at), "/shifts/series/new", f"/shifts/{shift.id}", "/shifts/people"):
        page.goto(live_server + path)
        assert not has_horizontal_scroll(page), path
    page.goto(live_server + week_of(shift.starts_at))
    screenshot(page, "shifts-board-360")


def test_copying_the_week_shows_what_it_will_do_before_it_does_it(
    live_server, page, make_user, make_shift, place
):
    """At 360 px: the copy button shows a preview (nothing written), and only its button copies."""
    secretary = make_user(Role.ADMIN, display_name="王书记")
    shift = make_shift(title="驿站值班", starts_at=days_from_now(2, time(9, 0)))
    place(shift, make_user(display_name="李德明"))
    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}{week_of(shift.starts_at)}")
    page.get_by_role("button", name="复制本周安排到下周").click()
    preview = page.locator("#preview")
    preview.get_by_text("预览：还没有复制任何内容").wait_for()
    assert "新建 1 个班次" in preview.inner_text() and "1 人待确认" in preview.inner_text()
    assert "李德明" in preview.inner_text()
    assert not has_horizontal_scroll(page)
    screenshot(page, "shifts-copy-preview-360")

    next_week = f"{live_server}{week_of(shift.starts_at + timedelta(days=7))}"
    other_tab = page.context.new_page()  # the same signed-in secretary looks at next week meanwhile
    other_tab.goto(next_week)
    assert "李德明" not in other_tab.locator("#week-board").inner_text(), "the preview wrote nothing"
    other_tab.close()
    page.get_by_role("button", name="复制到下周").click()
    page.wait_for_url(next_week)
    assert "李德明" in page.locator("#week-board").inner_text()
    assert "待答复" in page.locator("#week-board").inner_text()
