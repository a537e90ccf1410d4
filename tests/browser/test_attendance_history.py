"""On a phone, the secretary cannot tap away logged hours: recorded places are corrected, not removed,
and every removal asks first, with JavaScript and without."""

# The shift factories are fixtures of tests/shifts, imported here; test arguments name them.
# ruff: noqa: F811

from datetime import time

import pytest

from scheduler.models import Assignment, AssignmentState, Role
from tests.browser.conftest import has_horizontal_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD
from tests.shifts.conftest import days_from_now, make_shift, place, read, week_of  # noqa: F401


def test_a_recorded_place_is_corrected_with_a_reason_not_removed(
    live_server, page, make_user, make_shift, place, read
):
    secretary = make_user(Role.ADMIN, display_name="王书记")
    shift = make_shift(title="驿站值班", starts_at=days_from_now(-2, time(9, 0)))
    came = place(shift, make_user(display_name="王秀英"), AssignmentState.ATTENDED)
    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/shifts/{shift.id}")
    row = page.locator("li.person", has_text="王秀英")
    assert row.get_by_role("button", name="移出").count() == 0, "an attended place offers no 移出"

    page.get_by_role("link", name="修改出勤").click()
    page.get_by_label("王秀英").uncheck()
    page.get_by_role("button", name="保存出勤").click()
    page.get_by_text("请写明更改原因").wait_for()
    page.get_by_label("更改出勤的原因").fill("登记错了，她那天请假")
    page.get_by_role("button", name="保存出勤").click()
    page.wait_for_url(f"{live_server}/shifts/{shift.id}")
    kept = page.locator("li.person", has_text="王秀英").inner_text()
    assert "缺勤" in kept and "从“已出勤”改为“缺勤”，原因：登记错了，她那天请假" in kept and "王书记" in kept
    assert read(lambda s: s.get(Assignment, came.id).state) == AssignmentState.NO_SHOW
    assert not has_horizontal_scroll(page)
    screenshot(page, "attendance-corrected-360")


@pytest.mark.parametrize("javascript", [True, False])
def test_taking_someone_off_asks_first(
    live_server, make_page, make_user, make_shift, place, read, javascript
):
    secretary = make_user(Role.ADMIN)
    shift = make_shift(title="驿站值班", starts_at=days_from_now(3, time(9, 0)))
    assignment = place(shift, make_user(display_name="王秀英"))
    page = make_page(javascript=javascript)
    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(live_server + week_of(shift.starts_at))
    take_off = page.locator(f"#shift-{shift.id}").get_by_role("button", name="将 王秀英 移出这个班次")
    if javascript:
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        take_off.click()
        page.wait_for_timeout(300)
        assert asked and "确定把 王秀英 移出“驿站值班”" in asked[0]
        assert read(lambda s: s.get(Assignment, assignment.id)) is not None, "“no” sends nothing"
        page.once("dialog", lambda dialog: dialog.accept())
        take_off.click()
        page.locator(f"#shift-{shift.id}").get_by_text("王秀英").wait_for(state="detached")
    else:
        take_off.click()
        page.get_by_text("确定把 王秀英 移出“驿站值班”").wait_for()
        assert read(lambda s: s.get(Assignment, assignment.id)) is not None, "asking changes nothing"
        assert not has_horizontal_scroll(page)
        screenshot(page, "confirm-take-off-360-nojs")
        page.get_by_role("button", name="是的，继续").click()
        page.wait_for_url(f"**{week_of(shift.starts_at)}*")
    assert read(lambda s: s.get(Assignment, assignment.id)) is None
