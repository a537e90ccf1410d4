"""On phones: a volunteer says when they can serve; the secretary auto-fills next week and applies."""

# The shift factories are fixtures of tests/shifts, imported here; test arguments name them.
# ruff: noqa: F811

from datetime import time

from scheduler.models import Availability, DayPart, Role, slot_bit
from tests.browser.conftest import PHONE, has_horizontal_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD, persist
from tests.shifts.conftest import make_shift, this_week, week_of  # noqa: F401


def test_volunteer_sets_availability_and_the_secretary_applies_all_but_one_line(
    app, live_server, make_page, make_user, make_shift
):
    tuesday = make_shift(title="驿站值班", capacity=1, starts_at=this_week(1, time(9), weeks=1), hours=2)
    wednesday = make_shift(title="驿站值班", capacity=1, starts_at=this_week(2, time(9), weeks=1), hours=2)
    volunteer = make_user(display_name="王秀英")
    other = make_user(display_name="李德明")
    mornings = slot_bit(1, DayPart.MORNING) | slot_bit(2, DayPart.MORNING)
    persist(app, Availability(user_id=other.id, station_id=other.station_id, slots=mornings, max_per_week=1))
    secretary = make_user(Role.ADMIN, display_name="王书记")

    phone = make_page(viewport=PHONE)
    sign_in(phone, live_server, volunteer.username, TEST_PASSWORD)
    phone.wait_for_url(f"{live_server}/me")
    phone.get_by_role("link", name="我什么时候有空、哪些日子不在").click()
    phone.get_by_label("周二上午").check()
    phone.get_by_label("周三上午").check()
    phone.get_by_label("每周最多几个班").fill("1")
    assert not has_horizontal_scroll(phone)
    screenshot(phone, "autofill-availability-360")
    phone.get_by_role("button", name="保存", exact=True).click()
    phone.locator("#flashes").get_by_text("已保存，书记排班时能看到。").wait_for()

    board = make_page(viewport=PHONE)
    sign_in(board, live_server, secretary.username, TEST_PASSWORD)
    board.wait_for_url(f"{live_server}/me")
    board_url = f"{live_server}{week_of(tuesday.starts_at)}"
    board.goto(board_url)
    board.get_by_role("link", name="一键排班").click()
    panel = board.locator("#autofill-panel")
    panel.get_by_text("不想要的人请去掉勾").wait_for()
    lines = panel.locator(".autofill-lines li")
    assert lines.count() == 2
    assert not has_horizontal_scroll(board)
    screenshot(board, "autofill-proposal-360")
    panel.locator("li", has_text="李德明").get_by_role("checkbox").uncheck()
    panel.get_by_role("button", name="把打勾的人排上班").click()
    board.wait_for_url(board_url)
    board.locator("#flashes").get_by_text("已请 1 人确认").wait_for()
    cards = board.locator(f"#shift-{tuesday.id}, #shift-{wednesday.id}")
    text = cards.all_inner_texts()
    assert sum("王秀英" in card for card in text) == 1 and not any("李德明" in card for card in text)
    assert any("待答复" in card for card in text)
    screenshot(board, "autofill-applied-360")
