"""The register and the accounts list as Excel workbooks: what opens in Excel, and who may have it."""

import io
from datetime import UTC, datetime

import time_machine
from openpyxl import load_workbook

from scheduler.models import Role
from scheduler.spreadsheets import display_width


def workbook(response):
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data))


def test_the_register_downloads_with_chinese_headers_frozen_and_real_dates(
    app, admin_client, make_beneficiary, make_station
):
    registered = datetime(2025, 3, 1, 18, 30, tzinfo=UTC)  # 02:30 on 2 March in Shanghai
    make_beneficiary(name="张桂芳", phone="13912345678", room="301", created_at=registered, birth_year=1942)
    make_beneficiary(name="=cmd|' /C calc'!A0", room="302")
    make_beneficiary(station=make_station(), name="别站老人")
    sheet = workbook(admin_client.get("/beneficiaries/register.xlsx")).active
    headers = [cell.value for cell in sheet[1]]
    assert headers[:4] == ["姓名", "楼栋", "单元", "门牌号"]
    assert headers[-3:] == ["登记时间", "上次探访", "下次探访期限"]
    assert sheet.freeze_panes == "A2"
    assert sheet[1][0].font.bold
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"张桂芳", "=cmd|' /C calc'!A0"}
    first = {header: cell for header, cell in zip(headers, rows["张桂芳"], strict=True)}
    assert first["楼栋"].value == "1号楼"
    assert first["电话"].value == "13912345678" and first["电话"].data_type == "s"
    assert first["出生年份"].value == 1942
    assert first["接受探访"].value == "是"
    assert first["登记时间"].value == datetime(2025, 3, 2, 2, 30)
    assert first["登记时间"].is_date and first["登记时间"].number_format == "yyyy-mm-dd hh:mm"
    formula = rows["=cmd|' /C calc'!A0"][0]
    assert formula.data_type == "s" and formula.quotePrefix
    for index, header in enumerate(headers):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        assert sheet.column_dimensions[letter].width >= display_width(header)


def test_the_register_download_reads_back_as_the_same_register(admin_client, make_beneficiary, upload):
    make_beneficiary(name="张桂芳", phone="13912345678", room="301", visit_every_days=7, lives_alone=True)
    exported = admin_client.get("/beneficiaries/register.xlsx").data
    html = upload(exported, "register.xlsx").get_data(as_text=True)
    assert "不变" in html and "有问题" in html
    assert "<dd>1</dd></div><div><dt>更新</dt>" not in html
    assert "登记时间" in html  # its date columns are named as ignored


def test_only_staff_download_the_register(auth):
    assert auth.login(Role.VOLUNTEER).get("/beneficiaries/register.xlsx").status_code == 403
    assert auth.login(Role.COORDINATOR).get("/beneficiaries/register.xlsx").status_code == 200


def test_the_accounts_list_downloads_for_admins_only(app, auth, admin_client, make_user, make_station):
    signed_in = datetime(2025, 6, 30, 23, 0, tzinfo=UTC)
    make_user(Role.VOLUNTEER, username="wang.fang", display_name="王芳", last_login_at=signed_in)
    make_user(Role.VOLUNTEER, station=make_station(), username="elsewhere")
    sheet = workbook(admin_client.get("/people/accounts.xlsx")).active
    headers = [cell.value for cell in sheet[1]]
    assert headers == [
        "用户名（登录用）",
        "姓名",
        "手机号",
        "角色",
        "身份",
        "所在楼栋",
        "账号启用",
        "创建时间",
        "上次登录",
    ]
    rows = {row[0].value: [cell.value for cell in row] for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"wang.fang", admin_client.user.username}
    assert rows["wang.fang"][1:7] == ["王芳", rows["wang.fang"][2], "志愿者", "居民志愿者", None, "是"]
    assert rows["wang.fang"][8] == datetime(2025, 7, 1, 7, 0)
    assert auth.login(Role.COORDINATOR).get("/people/accounts.xlsx").status_code == 403
    assert auth.login(Role.VOLUNTEER).get("/people/accounts.xlsx").status_code == 403


def test_the_accounts_list_shows_when_a_person_last_signed_in(auth, admin_client, make_user):
    volunteer = make_user(Role.VOLUNTEER, username="wang.fang")
    with time_machine.travel(datetime(2025, 6, 30, 23, 0, tzinfo=UTC), tick=False):
        auth.login(user=volunteer)
    rows = {row[0].value: row for row in workbook(admin_client.get("/people/accounts.xlsx")).active.rows}
    assert rows["wang.fang"][8].value == datetime(2025, 7, 1, 7, 0), "Shanghai time"


def test_the_pages_link_their_downloads(admin_client):
    assert 'href="/beneficiaries/register.xlsx"' in admin_client.get("/beneficiaries/").get_data(as_text=True)
    assert 'href="/people/accounts.xlsx"' in admin_client.get("/people/").get_data(as_text=True)
