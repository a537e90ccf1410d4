"""On a 360×740 phone: a volunteer accepts a home visit, calls, records it, and the address goes."""

from scheduler.models import Kind, Role, TaskState
from tests.browser.conftest import has_horizontal_scroll, mark_page, screenshot, sign_in, was_not_reloaded
from tests.conftest import TEST_PASSWORD
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401


def test_volunteer_accepts_calls_and_completes_a_visit_on_a_phone(
    live_server,
    page,
    make_user,
    make_task,  # noqa: F811 (fixture)
    make_beneficiary,  # noqa: F811 (fixture)
):
    volunteer = make_user(Role.VOLUNTEER, display_name="王秀英", kind=Kind.BUILDING_HEAD)
    resident = make_beneficiary(name="张桂兰", unit="2单元", room="301", phone="13812345678")
    task = make_task(TaskState.ASSIGNED, volunteer, resident)
    card = f"#task-{task.id}"

    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    assert "张桂兰" in page.locator(card).inner_text()
    assert not has_horizontal_scroll(page)
    screenshot(page, "visits-1-assigned-360")

    asking = page.locator("#notices", has_text="有一项上门任务派给了您，请接受或婉拒。")
    assert asking.count() == 1
    mark_page(page)
    page.locator(card).get_by_role("button", name="接受任务").click()
    page.locator(card).get_by_text("已接受", exact=True).wait_for()
    assert asking.count() == 0 and was_not_reloaded(page), "the notice that asked goes at once"
    call = page.locator(card).locator('a[href="tel:13812345678"]')
    assert call.is_visible() and call.bounding_box()["height"] >= 44
    assert "1号楼2单元301" in page.locator(card).inner_text()
    screenshot(page, "visits-2-accepted-360")

    page.locator(card).get_by_text("完成任务", exact=True).click()
    page.locator(card).get_by_label("需要跟进").check()
    page.locator(card).get_by_label("家中有安全隐患").check()
    page.locator(card).get_by_label("简要记录").fill("老人说膝盖疼，浴室地面湿滑")
    page.locator(card).get_by_label("用时（分钟）").fill("35")
    assert not has_horizontal_scroll(page)
    screenshot(page, "visits-3-checklist-360")
    # Leave the number field, as a thumb does: after a full-page screenshot Chromium
    # otherwise swallows the next click while the field still has focus.
    page.locator(card).get_by_label("用时（分钟）").blur()
    page.locator(card).get_by_role("button", name="保存：任务完成").click()

    page.locator(card).get_by_text("已完成", exact=True).wait_for()
    text = page.locator(card).inner_text()
    assert "张桂兰" not in text and "2单元301" not in text
    assert page.locator('a[href^="tel:"]').count() == 0
    assert "探访记录已保存" in page.locator("#flashes").inner_text()
    screenshot(page, "visits-4-done-360")

    page.reload()
    assert "张桂兰" not in page.content()


def on_my_page(page, live_server, volunteer, task) -> str:
    """``volunteer`` signs in and lands on /me; the selector of the card of ``task``."""
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    return f"#task-{task.id}"


def test_a_mistake_in_the_checklist_is_shown_next_to_the_field(
    live_server,
    page,
    make_user,
    make_task,  # noqa: F811 (fixture)
):
    volunteer = make_user(Role.VOLUNTEER)
    task = make_task(TaskState.ACCEPTED, volunteer)
    card = on_my_page(page, live_server, volunteer, task)
    page.locator(card).get_by_text("完成任务", exact=True).click()
    page.locator(card).get_by_label("身体状况良好").check()
    page.locator(card).get_by_label("简要记录").fill("一切正常")
    page.locator(card).get_by_role("button", name="保存：任务完成").click()
    error = page.locator(f"#task{task.id}-done-minutes-error")
    error.wait_for()
    assert error.inner_text() == "请填写用时（分钟）。"
    assert page.locator(card).get_by_label("简要记录").input_value() == "一切正常"


def test_a_text_box_the_volunteer_resized_leaves_no_error_after_the_next_update(
    live_server,
    page,
    make_user,
    make_task,  # noqa: F811 (fixture)
):
    """Catches: htmx copying the inline style a resize leaves onto the card that replaces it,
    which the content security policy refuses with an error in the console (the page fixture
    fails the test on it)."""
    volunteer = make_user(Role.VOLUNTEER)
    card = on_my_page(page, live_server, volunteer, make_task(TaskState.ASSIGNED, volunteer))
    page.locator(card).get_by_text("不能参加", exact=True).click()
    # Dragging the corner of a text box sets its height as an inline style, as this does.
    page.locator(card).get_by_label("为什么无法前往？").evaluate("(box) => { box.style.height = '120px'; }")
    page.locator(card).get_by_role("button", name="接受任务").click()
    page.locator(card).get_by_text("已接受", exact=True).wait_for()
