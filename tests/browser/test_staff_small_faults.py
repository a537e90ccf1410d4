"""Small faults the secretary met on a 360 px phone, each seen in the browser."""

import re

from scheduler.extensions import db
from scheduler.models import Kind, Role, User
from tests.browser.conftest import has_horizontal_scroll, screenshot, sign_in
from tests.browser.test_request_tasks import waiting_request  # noqa: F401  (a fixture)
from tests.conftest import TEST_PASSWORD

CONTRAST = """(element) => {
  const rgb = (value) => value.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const linear = (v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    const [r, g, b] = c.map((v) => linear(v / 255));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(element);
  const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_making_a_task_on_the_request_page_raises_no_htmx_error(
    app,
    live_server,
    page,
    make_user,
    waiting_request,  # noqa: F811
):
    """Catches: the answer carrying #request-counts out of band to a page that has no counts."""
    head = make_user(Role.VOLUNTEER, display_name="王建国", kind=Kind.BUILDING_HEAD, building_id=None)
    with app.app_context():
        db.session.get(User, head.id).building_id = waiting_request.building_id
        db.session.commit()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_server, make_user(Role.COORDINATOR).username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/requests/{waiting_request.id}")
    page.evaluate(
        "document.body.addEventListener('htmx:oobErrorNoTarget',"
        " (event) => { window.oobErrors = (window.oobErrors || []).concat([event.detail.content.id]); })"
    )
    form = page.locator("#make-task")
    form.get_by_label("负责人").select_option(label="王建国 · 1号楼楼栋长 · 手头 0 项任务")
    form.get_by_role("button", name="创建任务").click()
    page.locator(".request-task a").wait_for()
    assert page.evaluate("window.oobErrors || []") == []
    assert not [text for text in errors if "oobErrorNoTarget" in text]


def test_the_current_tabs_count_is_readable(live_server, page, make_user, waiting_request):  # noqa: F811
    """Catches: the count inheriting the current tab's white text onto its pale wash (1.1:1)."""
    sign_in(page, live_server, make_user(Role.COORDINATOR).username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/requests")
    counts = page.locator("#request-counts .count")
    assert counts.count() >= 2
    for index in range(counts.count()):
        assert counts.nth(index).evaluate(CONTRAST) >= 4.5, counts.nth(index).inner_text()
    screenshot(page, "requests-tabs-360")


def test_the_favicon_is_served_and_cached(live_server, page):
    """Catches: /favicon.ico answered 404 on every first visit."""
    answer = page.request.get(f"{live_server}/favicon.ico")
    assert answer.status == 200 and answer.headers["content-type"] == "image/vnd.microsoft.icon"
    assert re.search(r"max-age=\d{6,}", answer.headers["cache-control"])
    assert answer.body()[:4] == b"\x00\x00\x01\x00"
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    page.goto(f"{live_server}/auth/login")
    page.wait_for_load_state("networkidle")
    assert missing == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(live_server + icon).headers["cache-control"].endswith("immutable")


def test_hours_page_shows_people_as_cards_on_a_phone(live_server, page, make_user):
    """Catches: six columns at 360 px breaking names one character per line, and a 21 px month field."""
    make_user(display_name="欧阳秀英")
    sign_in(page, live_server, make_user(Role.COORDINATOR).username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/shifts/people")
    name = page.locator("tbody th", has_text="欧阳秀英")
    box = name.bounding_box()
    assert box["height"] < 40, "the name sits on one line"
    assert box["width"] > 200, "the card spans the phone's width"
    month = page.locator("#month").bounding_box()
    assert month["width"] >= 140 and month["height"] >= 44
    labels = (
        page.locator("tbody tr", has_text="欧阳秀英")
        .locator("td")
        .evaluate_all("(cells) => cells.map((cell) => getComputedStyle(cell, '::before').content)")
    )
    assert '"本月出勤（小时）"' in labels, "each figure carries its label on the card"
    assert not has_horizontal_scroll(page)
    screenshot(page, "shifts-people-cards-360")
