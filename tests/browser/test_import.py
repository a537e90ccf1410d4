"""On a 360×740 phone: the secretary fills the register template with 30 residents and imports it."""

import io

from openpyxl import load_workbook

from scheduler.models import Role
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import TEST_PASSWORD


def filled_template(template: bytes, count: int) -> bytes:
    """The downloaded template with its example row replaced by ``count`` residents."""
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    sheet.delete_rows(2)
    for number in range(1, count + 1):
        values = {
            "姓名（必填）": f"居民{number:02d}",
            "楼栋（必填）": str(number % 3 + 1),
            "单元": "1单元",
            "门牌号（必填）": str(100 + number),
            "电话": f"1390000{number:04d}",
            "出生年份": 1935 + number,
            "独居": "是" if number % 4 == 0 else "否",
            "每隔几天探访一次": 7,
        }
        sheet.append([values.get(header, "") for header in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_secretary_imports_30_residents_from_the_template_on_a_phone(live_server, page, make_user, tmp_path):
    secretary = make_user(Role.ADMIN, display_name="王书记")
    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")

    page.goto(f"{live_server}/beneficiaries/")
    page.get_by_role("link", name="从 Excel 导入").click()
    page.wait_for_url(f"{live_server}/beneficiaries/import")
    screenshot(page, "import-1-upload-360")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载模板（.xlsx）").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    register = tmp_path / "我们的台账.xlsx"
    register.write_bytes(filled_template(template.read_bytes(), 30))

    page.set_input_files("#file", str(register))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_role("heading", name="将保存的各行").wait_for()
    assert page.locator(".import-rows tbody tr").count() == 30
    assert "有问题" in page.locator(".import-counts").inner_text()
    assert page.locator(".import-problems").count() == 0
    # The wide preview scrolls inside its own box; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
    screenshot(page, "import-2-preview-360")

    confirm = page.get_by_role("button", name="确认并保存")
    assert confirm.bounding_box()["height"] >= 44
    confirm.click()
    page.wait_for_url(f"{live_server}/beneficiaries/")
    assert "已导入：新登记 30 位老人，更新 0 位。" in page.locator("#flashes").inner_text()
    assert "共 30 位" in page.locator("#results").inner_text()
    assert page.get_by_text("居民01", exact=True).is_visible()
    screenshot(page, "import-3-register-360")


def test_secretary_imports_volunteers_and_prints_their_invitation_slips(
    live_server, page, make_user, tmp_path
):
    from openpyxl import Workbook

    secretary = make_user(Role.ADMIN, display_name="王书记")
    book = Workbook()
    book.active.append(["姓名", "用户名", "手机号", "身份"])
    for number, name in enumerate(["李秀英", "张建国", "赵桂芝"], start=1):
        book.active.append([name, f"vol{number}", f"1370000000{number}", "居民志愿者"])
    volunteers = tmp_path / "志愿者名单.xlsx"
    book.save(volunteers)

    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/people/")
    page.get_by_role("link", name="从 Excel 导入").click()
    page.set_input_files("#file", str(volunteers))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_role("button", name="确认并保存").click()
    page.get_by_role("heading", name="邀请链接").wait_for()
    assert page.locator(".invitation-sheet .invitation-slip").count() == 3
    assert page.locator(".invitation-sheet svg").count() == 3
    screenshot(page, "import-4-invitation-sheet-360")

    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    assert page.locator("h1").is_hidden()
    screenshot(page, "import-5-invitation-sheet-print")
