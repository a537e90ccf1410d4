"""Day one at a real station, on a 360×740 phone, by clicking the forms as rendered.

A volunteer account created through /people/new signs in through its invitation link; a
resident registered through /beneficiaries/new with a visit frequency gets her visit.
"""

import re

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Beneficiary, Kind, Role, Task, User
from tests.browser.conftest import has_horizontal_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "morning-tea-2026"


def test_secretary_creates_a_volunteer_who_sets_a_password_through_the_link(
    app, live_server, make_page, make_user
):
    app.config["BASE_URL"] = live_server
    secretary = make_user(Role.ADMIN, display_name="刘书记", kind=Kind.PARTY_MEMBER)
    make_user(display_name="搬走的志愿者", active=False)
    desk = make_page()
    sign_in(desk, live_server, secretary.username, TEST_PASSWORD)
    desk.wait_for_url(f"{live_server}/me")
    desk.goto(f"{live_server}/people/")
    # A switched-off account stays listed, greyed but readable (the gate checks its contrast).
    assert "已停用" in desk.locator("li.row.inactive").inner_text()
    desk.get_by_role("link", name="新建账号").click()
    desk.get_by_label("姓名").fill("王秀英")
    desk.get_by_label("用户名（登录用）").fill("wangxy")
    desk.get_by_label("手机号").fill("13912345678")
    desk.get_by_label("身份").select_option(label="楼栋长")
    desk.get_by_label("所在楼栋").select_option(label="2号楼")
    assert not has_horizontal_scroll(desk)
    screenshot(desk, "day-one-1-new-account-360")
    desk.get_by_role("button", name="创建并获取链接").click()

    link = desk.locator("#invitation-link").inner_text()
    assert re.fullmatch(rf"{re.escape(live_server)}/people/invite/[\w-]{{43}}", link)
    qr = desk.locator(".slip-qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 150
    assert "wangxy" in desk.locator(".invitation-slip").inner_text()
    assert not has_horizontal_scroll(desk)
    screenshot(desk, "day-one-2-invitation-slip-360")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "wangxy"))
        assert user.active and user.building.name == "2号楼"
        assert user.role == Role.VOLUNTEER, "the role starts at volunteer: an untouched select makes no admin"

    desk.get_by_role("link", name="返回列表").click()
    row = desk.locator("li.row", has_text="王秀英")
    assert "邀请链接有效至" in row.inner_text()
    assert not has_horizontal_scroll(desk)
    screenshot(desk, "day-one-2b-accounts-with-open-invitation-360")

    # Before the link is used, no password opens the account.
    phone = make_page()
    sign_in(phone, live_server, "wangxy", NEW_PASSWORD)
    phone.get_by_text("用户名或密码不正确").wait_for()

    phone.goto(link)
    assert "wangxy" in phone.locator("main").inner_text()
    phone.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    phone.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    assert not has_horizontal_scroll(phone)
    button = phone.get_by_role("button", name="设置密码并登录")
    assert button.bounding_box()["height"] >= 44
    screenshot(phone, "day-one-3-choose-password-360")
    button.click()
    phone.wait_for_url(f"{live_server}/me")
    assert "王秀英" in phone.locator("h1").inner_text()
    screenshot(phone, "day-one-4-me-360")

    # The link worked once; the account signs in with the password chosen.
    other = make_page()
    other.goto(link)
    assert "此链接已经用过" in other.locator("h1").inner_text()
    screenshot(other, "day-one-5-link-used-360")
    sign_in(other, live_server, "wangxy", NEW_PASSWORD)
    other.wait_for_url(f"{live_server}/me")


def test_a_resident_registered_on_a_phone_gets_her_visit_from_generate_visits(
    app, live_server, page, make_user, runner
):
    secretary = make_user(Role.ADMIN)
    sign_in(page, live_server, secretary.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/me")
    page.goto(f"{live_server}/beneficiaries/")
    page.get_by_role("link", name="登记关爱对象").click()
    page.get_by_label("姓名").fill("周桂芳")
    page.get_by_label("楼栋").select_option(label="3号楼")
    page.get_by_label("门牌号").fill("301")
    page.get_by_label("独居").check()
    page.get_by_label("每隔几天探访一次").fill("7")
    assert not has_horizontal_scroll(page)
    screenshot(page, "day-one-6-register-resident-360")
    page.get_by_label("每隔几天探访一次").blur()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/beneficiaries/\d+$"))
    resident_id = int(page.url.rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Beneficiary, resident_id).active

    result = runner.invoke(args=["generate-visits"])
    assert result.exit_code == 0 and "1 visit tasks created." in result.output
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Task).where(Task.beneficiary_id == resident_id)
            )
            == 1
        )

    page.goto(f"{live_server}/tasks/new?beneficiary={resident_id}")
    chosen = page.get_by_label("关爱对象")
    assert chosen.input_value() == str(resident_id)
    assert "周桂芳" in chosen.locator("option:checked").inner_text()
    screenshot(page, "day-one-7-task-for-resident-360")
    page.goto(f"{live_server}/beneficiaries/?status=active")
    assert "周桂芳" in page.locator("#results").inner_text()


def test_the_street_office_adds_a_stations_first_administrator_with_a_link(
    app, live_server, page, make_user, station
):
    app.config["BASE_URL"] = live_server
    street = make_user(Role.SUPERADMIN)
    make_user(Role.ADMIN, display_name="离任书记", active=False)
    sign_in(page, live_server, street.username, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/people/stations")
    page.get_by_role("link", name="添加管理员").click()
    page.get_by_label("姓名").fill("刘书记")
    page.get_by_label("用户名（登录用）").fill("liu.secretary")
    page.get_by_role("button", name="创建并获取链接").click()
    link = page.locator("#invitation-link").inner_text()
    page.get_by_role("link", name="返回列表").click()
    admins = page.locator(".admin-list").inner_text()
    assert "刘书记" in admins and "邀请链接有效至" in admins
    assert "离任书记" in admins and "已停用" in admins
    screenshot(page, "day-one-8-stations-with-admins-360")
    assert not has_horizontal_scroll(page)

    phone = page.context.browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN"
    ).new_page()
    try:
        phone.goto(link)
        phone.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
        phone.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
        phone.get_by_role("button", name="设置密码并登录").click()
        phone.wait_for_url(f"{live_server}/me")
        phone.goto(f"{live_server}/people/")
        assert "账号管理" in phone.locator("h1").inner_text()
    finally:
        phone.context.close()
