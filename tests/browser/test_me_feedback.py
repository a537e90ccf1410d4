"""A volunteer taps on /me at 360 px and reads what happened where she tapped, with and without
JavaScript: not at the top of a long page, thousands of pixels above the screen."""

# The shift factories are fixtures of tests/shifts, imported here; test arguments name them.
# ruff: noqa: F811

from datetime import time

import pytest
from playwright.sync_api import expect

from scheduler.models import AssignmentState, Kind, TaskState
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import TEST_PASSWORD
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
from tests.shifts.conftest import days_from_now, make_shift, place  # noqa: F401


def expect_in_view(locator, why: str = "") -> None:
    """Wholly on the screen, waiting for the browser to scroll to the card's anchor (on two
    busy cores the scroll can come after the card is drawn)."""
    expect(locator, why).to_be_in_viewport(ratio=1)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_signing_up_far_down_the_page_tells_it_in_the_card(
    live_server, make_page, make_user, make_shift, place, javascript
):
    volunteer = make_user(display_name="王秀英", kind=Kind.RESIDENT_VOLUNTEER)
    for day in (1, 2):
        place(make_shift(title=f"驿站值班{day}", starts_at=days_from_now(day, time(9))), volunteer)
    for day in range(3, 10):
        make_shift(title=f"活动{day}", capacity=3, starts_at=days_from_now(day, time(14)))
    page = make_page(javascript=javascript)
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")

    page.locator("#my-shifts .more-box > summary").click()
    open_card = page.locator(".open-shift", has_text="活动9")
    open_card.scroll_into_view_if_needed()
    open_card.get_by_role("button", name="我要报名").click()

    feedback = page.locator(".card-feedback", has_text="报名成功，谢谢您！")
    feedback.wait_for()
    card = page.locator(".my-shift", has=feedback)
    assert "活动9" in card.inner_text() and "已确认" in card.inner_text(), "the card in its new state"
    expect_in_view(feedback, "the outcome shows where the volunteer is looking")
    if javascript:
        assert "报名成功，谢谢您！" in page.locator("#flashes[aria-live=polite]").inner_text(), (
            "and is announced"
        )
    else:
        assert page.url.endswith(f"#{card.get_attribute('id')}")
        assert "报名成功" not in page.locator("#flashes").inner_text(), "said once, in the card"
    screenshot(page, f"me-feedback-in-card-{'js' if javascript else 'nojs'}-360")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_confirming_tells_it_in_the_card_and_once_only(
    live_server, make_page, make_user, make_shift, place, javascript
):
    volunteer = make_user(display_name="王秀英")
    shift = make_shift(title="驿站值班", starts_at=days_from_now(1, time(9)), self_signup=False)
    place(shift, volunteer, AssignmentState.ASSIGNED)
    page = make_page(javascript=javascript)
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.locator(f"#my-shift-{shift.id}").get_by_role("button", name="确认参加").click()
    feedback = page.locator(f"#my-shift-{shift.id} .card-feedback")
    feedback.wait_for()
    assert "已确认，谢谢您！" in feedback.inner_text()
    expect_in_view(feedback)
    page.goto(f"{live_server}/me")
    assert page.locator(".card-feedback").count() == 0, "the message is for the page right after the tap"


def test_a_volunteers_page_is_short_with_today_and_next_first(
    live_server, make_page, make_user, make_shift, place, make_task
):
    """A busy volunteer: 6 shifts of hers, 8 open ones, a visit to make. At 360 px her page was
    4,751 px long (measured before the change; 1,836 px after); the rest now waits under "more",
    still there without JavaScript. The time bank, the board consent and availability sections,
    with 48 px tap targets, brought it to about 2,470 px: the budget below allows for them."""
    volunteer = make_user(display_name="王秀英", kind=Kind.RESIDENT_VOLUNTEER)
    for day in range(1, 7):
        shift = make_shift(
            title=f"驿站值班{day}", starts_at=days_from_now(day, time(9)), notes="请提前十分钟到"
        )
        place(shift, volunteer, AssignmentState.ASSIGNED if day % 2 else AssignmentState.CONFIRMED)
    for day in range(1, 9):
        make_shift(
            title=f"活动{day}", location="时光忆站", capacity=3, starts_at=days_from_now(day, time(14))
        )
    make_task(TaskState.ACCEPTED, volunteer)
    page = make_page(javascript=False)
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")

    height = page.evaluate("document.documentElement.scrollHeight")
    screenshot(page, "me-volunteer-short-360")
    assert height <= 2600, f"/me is {height} px long at 360 px"
    next_shift = page.locator("#my-shifts .my-shift").first
    assert "驿站值班1" in next_shift.inner_text() and next_shift.is_visible()
    page.locator("#my-shifts .more-box > summary").click()
    assert page.locator(".open-shift", has_text="活动8").is_visible(), "more opens without JavaScript"
