"""Volunteers and staff from the station's list: accounts by username, invitation links on one sheet."""

import re
from html import unescape

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Invitation, Kind, Role, User
from scheduler.models.core import NO_PASSWORD_YET
from tests.forms import submit_form
from tests.importing.conftest import problems, table_rows

HEADERS = ["用户名", "姓名", "手机号", "角色", "身份", "所在楼栋"]


def volunteer_rows(count: int) -> list[list]:
    return [
        HEADERS,
        *[
            [f"vol{n:03d}", f"志愿者{n:03d}", f"1370000{n:04d}", "志愿者", "居民志愿者", f"{n % 3 + 1}"]
            for n in range(1, count + 1)
        ],
    ]


def accounts(app, station_id) -> dict[str, User]:
    with app.app_context():
        users = db.session.scalars(sa.select(User).where(User.station_id == station_id)).all()
        db.session.expunge_all()
        return {user.username: user for user in users}


def invitation_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Invitation.id)))


def preview(upload, rows, client):
    return upload(rows, "accounts.xlsx", client=client, url="/people/import")


def confirm(client, page):
    return submit_form(client, page.request.path, {})


def sheet_links(html: str) -> list[str]:
    return [unescape(link) for link in re.findall(r'<a href="([^"]+)" class="invitation-link"', html)]


def test_new_people_are_created_active_without_a_password_and_get_links_on_one_sheet(
    app, admin_client, upload
):
    page = preview(upload, volunteer_rows(3), admin_client)
    html = page.get_data(as_text=True)
    assert problems(html) == []
    assert [row[1:4] for row in table_rows(html, "import-rows")] == [
        ["新增", "vol001", "志愿者001"],
        ["新增", "vol002", "志愿者002"],
        ["新增", "vol003", "志愿者003"],
    ]
    assert invitation_count(app) == 0
    sheet = confirm(admin_client, page)
    assert sheet.status_code == 200
    assert sheet.headers["Cache-Control"] == "no-store"
    body = sheet.get_data(as_text=True)
    assert "已导入：新建 3 个账号，更新 0 个。" in body
    assert re.search(r'href="/static/css/invitations-print\.[0-9a-f]{12}\.css" media="print"', body)
    links = sheet_links(body)
    assert len(links) == 3 and all(link.startswith("http://station.test/people/invite/") for link in links)
    assert body.count("<svg") >= 3 and "vol002" in body and "志愿者002" in body
    saved = accounts(app, admin_client.user.station_id)
    person = saved["vol002"]
    assert person.active and person.password_hash == NO_PASSWORD_YET
    assert (person.role, person.kind, person.phone) == (
        Role.VOLUNTEER,
        Kind.RESIDENT_VOLUNTEER,
        "13700000002",
    )
    assert invitation_count(app) == 3

    newcomer = app.test_client()
    invite_page = newcomer.get(links[1].removeprefix("http://station.test"))
    assert invite_page.status_code == 200 and "vol002" in invite_page.get_data(as_text=True)


def test_roles_and_kinds_read_in_chinese_or_english(app, admin_client, upload):
    rows = [
        ["username", "name", "role", "kind"],
        ["li.coord", "李网格", "网格员", "Party member"],
        ["zhao.head", "赵楼长", "volunteer", "楼栋长"],
        ["qian.prop", "钱物业", "", "物业"],
    ]
    confirm(admin_client, preview(upload, rows, admin_client))
    saved = accounts(app, admin_client.user.station_id)
    assert (saved["li.coord"].role, saved["li.coord"].kind) == (Role.COORDINATOR, Kind.PARTY_MEMBER)
    assert (saved["zhao.head"].role, saved["zhao.head"].kind) == (Role.VOLUNTEER, Kind.BUILDING_HEAD)
    assert (saved["qian.prop"].role, saved["qian.prop"].kind) == (Role.VOLUNTEER, Kind.PROPERTY_STAFF)


def test_every_problem_of_an_account_row_is_shown(admin_client, upload, make_user, make_station):
    make_user(Role.VOLUNTEER, station=make_station(), username="taken.elsewhere")
    rows = [
        HEADERS,
        ["Bad Name!", "甲", "", "", "", ""],
        ["ok.one", "乙", "", "队长", "", ""],
        ["ok.two", "丙", "", "", "居委会", ""],
        ["ok.three", "丁", "", "", "", "99"],
        ["taken.elsewhere", "戊", "", "", "", ""],
        ["ok.one", "己", "", "", "", ""],
        ["ok.four", "", "123", "", "", ""],
    ]
    found = problems(preview(upload, rows, admin_client).get_data(as_text=True))
    assert [(row, column) for row, column, _m in found] == [
        (2, "用户名（登录用）"),
        (3, "角色"),
        (4, "身份"),
        (5, "所在楼栋"),
        (6, "用户名（登录用）"),
        (7, "用户名（登录用）"),
        (8, "姓名"),
        (8, "手机号"),
    ]
    assert "其他驿站" in found[4][2]
    assert "第 3 行" in found[5][2]


def test_another_stations_account_is_never_updated(app, admin_client, upload, make_user, make_station):
    elsewhere = make_station()
    theirs = make_user(Role.VOLUNTEER, station=elsewhere, username="shared.name", display_name="别站的人")
    page = preview(
        upload,
        [HEADERS, ["shared.name", "改名", "", "", "", ""], ["mine", "本站", "", "", "", ""]],
        admin_client,
    )
    response = submit_form(admin_client, page.request.path, {"skip_invalid": True})
    assert response.status_code == 200
    assert accounts(app, elsewhere.id)["shared.name"].display_name == theirs.display_name
    assert set(accounts(app, admin_client.user.station_id)) == {admin_client.user.username, "mine"}


def test_importing_the_same_list_twice_changes_nothing_and_issues_no_new_links(app, admin_client, upload):
    confirm(admin_client, preview(upload, volunteer_rows(5), admin_client))
    before = accounts(app, admin_client.user.station_id)
    again = preview(upload, volunteer_rows(5), admin_client).get_data(as_text=True)
    assert [row[1] for row in table_rows(again, "import-rows")] == ["不变"] * 5
    assert "没有要保存的内容" in again
    assert invitation_count(app) == 5
    after = accounts(app, admin_client.user.station_id)
    assert {name: (u.id, u.phone, u.session_version) for name, u in after.items()} == {
        name: (u.id, u.phone, u.session_version) for name, u in before.items()
    }


def test_an_update_changes_what_the_file_says_and_an_empty_role_keeps_the_role(
    app, admin_client, upload, make_user
):
    coordinator = make_user(Role.COORDINATOR, username="li.coord", phone="13700000001", kind=None)
    page = preview(
        upload,
        [["用户名", "姓名", "手机号", "角色", "身份"], ["li.coord", "李网格", "13799999999", "", "党员"]],
        admin_client,
    )
    (row,) = table_rows(page.get_data(as_text=True), "import-rows")
    assert row[1] == "更新"
    sheet = confirm(admin_client, page).get_data(as_text=True)
    assert "新建 0 个账号，更新 1 个" in sheet and sheet_links(sheet) == []
    saved = accounts(app, admin_client.user.station_id)["li.coord"]
    assert (saved.id, saved.role, saved.phone, saved.kind) == (
        coordinator.id,
        Role.COORDINATOR,
        "13799999999",
        Kind.PARTY_MEMBER,
    )
    assert invitation_count(app) == 0


def test_the_secretary_cannot_change_their_own_role_by_import(admin_client, upload):
    me = admin_client.user
    found = problems(
        preview(
            upload, [["用户名", "姓名", "角色"], [me.username, me.display_name, "志愿者"]], admin_client
        ).get_data(as_text=True)
    )
    assert [(row, column) for row, column, _m in found] == [(2, "角色")]


def test_only_the_secretary_imports_accounts(auth):
    for role in (Role.COORDINATOR, Role.VOLUNTEER):
        client = auth.login(role)
        for url in ("/people/import", "/people/import/template.xlsx"):
            assert client.get(url).status_code == 403


def test_the_accounts_template_imports_as_one_new_account(admin_client, upload):
    template = admin_client.get("/people/import/template.xlsx")
    assert template.status_code == 200
    html = preview(upload, template.data, admin_client).get_data(as_text=True)
    assert problems(html) == []
    assert [row[1] for row in table_rows(html, "import-rows")] == ["新增"]


def test_accounts_page_links_the_import(admin_client):
    html = admin_client.get("/people/import").get_data(as_text=True)
    assert 'href="/people/import/template.xlsx"' in html
    assert 'href="/people/import"' in admin_client.get("/people/").get_data(as_text=True)


def test_a_very_long_list_gets_its_links_without_qr_codes(app, admin_client, upload, monkeypatch):
    from scheduler.people import spreadsheet_routes

    monkeypatch.setattr(spreadsheet_routes, "QR_SLIPS_AT_MOST", 2)
    sheet = confirm(admin_client, preview(upload, volunteer_rows(3), admin_client)).get_data(as_text=True)
    assert "<svg" not in sheet and "超过 2 人" in sheet
    assert len(sheet_links(sheet)) == 3
