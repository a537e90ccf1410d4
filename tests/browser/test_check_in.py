"""Check-in at the duty desk and the time bank on a phone: the desk's code is read from a
screenshot as a phone camera would, its link opened by the volunteer, who signs in on the way."""

# The shift and ledger factories are fixtures of other test folders, imported here.
# ruff: noqa: F811

import base64
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import zxingcpp

from scheduler.database import utcnow
from scheduler.models import EntryKind, Role
from tests.browser.conftest import has_horizontal_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD
from tests.shifts.conftest import make_shift, place  # noqa: F401
from tests.timebank.conftest import credit  # noqa: F401

DECODE_PIXELS = """async (url) => {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  let grey = '';
  for (let i = 0; i < pixels.length; i += 4) grey += String.fromCharCode(pixels[i + 1]);
  return [image.width, image.height, btoa(grey)];
}"""


def qr_text(make_page, png: bytes) -> str:
    """Read the QR code in a screenshot: the browser decodes the PNG, zxing-cpp reads the code."""
    scratch = make_page(javascript=True)
    scratch.goto("about:blank")
    width, height, grey = scratch.evaluate(
        DECODE_PIXELS, "data:image/png;base64," + base64.b64encode(png).decode()
    )
    image = memoryview(base64.b64decode(grey)).cast("B", (height, width))  # greyscale rows
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code in the screenshot"
    return found[0].text


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_volunteer_scans_the_desk_code_signs_in_and_is_checked_in(
    live_server, make_page, make_user, make_shift, place, javascript
):
    desk = make_user(Role.COORDINATOR, display_name="王书记")
    volunteer = make_user(display_name="李德明")
    shift = make_shift(title="驿站值班", starts_at=utcnow() + timedelta(minutes=10))
    place(shift, volunteer)

    desk_page = make_page(javascript=javascript)
    sign_in(desk_page, live_server, desk.username, TEST_PASSWORD)
    desk_page.wait_for_url(f"{live_server}/me")
    desk_page.goto(f"{live_server}/shifts/{shift.id}/check-in-code")
    assert not has_horizontal_scroll(desk_page)
    screenshot(desk_page, f"check-in-code-360-{'js' if javascript else 'nojs'}")
    url = qr_text(make_page, desk_page.screenshot())
    assert url.startswith("http://station.test/shifts/check-in/")

    phone = make_page(javascript=javascript)
    phone.goto(live_server + urlsplit(url).path)
    phone.wait_for_url("**/auth/login**")
    phone.fill("#username", volunteer.username)
    phone.fill("#password", TEST_PASSWORD)
    phone.click("main button[type=submit]")
    phone.get_by_text("签到成功").wait_for()
    assert "驿站值班" in phone.locator("main").inner_text()
    assert not has_horizontal_scroll(phone)
    screenshot(phone, f"check-in-done-360-{'js' if javascript else 'nojs'}")

    desk_page.goto(f"{live_server}/shifts/{shift.id}")
    assert "签到" in desk_page.locator(".check-in-badge").inner_text()
    if javascript:  # the next code comes in place, as htmx's poll fetches it every minute
        desk_page.goto(f"{live_server}/shifts/{shift.id}/check-in-code")
        first_code = desk_page.locator("#check-in-code svg").inner_html()
        desk_page.evaluate(
            "htmx.ajax('GET', location.pathname, {target: '#check-in-code', swap: 'outerHTML'})"
        )
        desk_page.wait_for_function(
            "code => document.querySelector('#check-in-code svg').innerHTML !== code", arg=first_code
        )
        assert desk_page.locator("h1").count() == 1, "only the code is swapped, not a page into the page"


def test_time_bank_on_a_phone(live_server, make_page, make_user, credit):
    volunteer = make_user(display_name="张桂兰")
    credit(volunteer, 250)
    credit(volunteer, -100, EntryKind.REDEEM, note="给母亲理发")
    page = make_page(javascript=False)
    sign_in(page, live_server, volunteer.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    section = page.locator("#my-time-bank")
    assert "余额：1.5 个时间币" in section.inner_text()
    assert "给母亲理发" in section.inner_text()
    assert not has_horizontal_scroll(page)
    section.scroll_into_view_if_needed()
    screenshot(page, "time-bank-me-360")
    section.get_by_role("link", name="时间银行怎么用").click()
    page.get_by_role("heading", name="时间银行怎么用").wait_for()
    assert not has_horizontal_scroll(page)
    screenshot(page, "time-bank-rules-360")
