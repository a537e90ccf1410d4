"""The elderly register from a station's own spreadsheet: preview, problems, confirm, twice."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Beneficiary, Role
from tests.forms import form_on, submit_form
from tests.importing.conftest import (
    REGISTER_HEADERS,
    csv_bytes,
    problems,
    register_file,
    resident_row,
    table_rows,
)


def residents(app, station_id=None) -> list[Beneficiary]:
    with app.app_context():
        query = sa.select(Beneficiary).order_by(Beneficiary.id)
        if station_id is not None:
            query = query.where(Beneficiary.station_id == station_id)
        records = db.session.scalars(query).all()
        db.session.expunge_all()
        return records


def preview_url(response) -> str:
    return re.search(r"/beneficiaries/import/[A-Za-z0-9_-]+", response.request.path).group(0)


def confirm(client, preview, **changes):
    return submit_form(client, preview_url(preview), changes)


# Headers and encodings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        ["姓名", "楼栋", "门牌号", "电话", "出生年份"],
        ["Phone", "Room", "Name", "Year of birth", "Building"],
        ["电话（手机）", " 门牌号 ", "姓名*", "出生年份(必填)", "楼号"],
    ],
    ids=["chinese", "english-any-order", "notes-and-spaces"],
)
def test_headers_are_matched_by_name_in_chinese_or_english_in_any_order(upload, headers):
    values = {"姓名": "张桂芳", "楼栋": "3", "门牌号": "301", "电话": "13912345678", "出生年份": "1942"}
    by_header = {
        "Phone": "电话",
        "Room": "门牌号",
        "Name": "姓名",
        "Year of birth": "出生年份",
        "Building": "楼栋",
        "电话（手机）": "电话",
        " 门牌号 ": "门牌号",
        "姓名*": "姓名",
        "出生年份(必填)": "出生年份",
        "楼号": "楼栋",
    }
    row = [values[by_header.get(header, header)] for header in headers]
    page = upload([headers, row])
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert problems(html) == []
    (shown,) = table_rows(html, "import-rows")
    assert shown == ["2", "新增", "张桂芳", "3号楼", "301", "13912345678", "1942"]


def test_a_building_written_as_its_number_is_the_station_building(upload):
    html = upload([["姓名", "楼栋", "门牌号"], ["张桂芳", "3", "301"], ["李秀英", "2栋", "302"]]).get_data(
        as_text=True
    )
    assert [row[3] for row in table_rows(html, "import-rows")] == ["3号楼", "2号楼"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk_reads_the_same(upload, encoding):
    content = csv_bytes(
        [["姓名", "楼栋", "门牌号", "照护备注"], ["张桂芳", "1号楼", "301", "耳背，敲门要大声"]], encoding
    )
    html = upload(content, "register.csv").get_data(as_text=True)
    assert problems(html) == []
    assert table_rows(html, "import-rows")[0][2:] == ["张桂芳", "1号楼", "301", "耳背，敲门要大声"]


def test_a_missing_required_column_is_named(upload):
    page = upload([["姓名", "电话"], ["张桂芳", "13912345678"]])
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "“楼栋”" in html and "“门牌号”" in html
    assert "/beneficiaries/import/" not in page.request.path.removeprefix("/beneficiaries/import")


def test_unknown_columns_are_listed_as_ignored(upload):
    html = upload([["姓名", "楼栋", "门牌号", "身份证号"], ["张桂芳", "1", "301", "x"]]).get_data(
        as_text=True
    )
    assert "不使用以下列，将被忽略：身份证号" in html


# Problems, each with its row and column -------------------------------------------------------


def test_every_problem_is_shown_with_its_row_and_column(upload):
    rows = [
        REGISTER_HEADERS,
        resident_row(1, phone="12345"),
        resident_row(2, building="99号楼"),
        resident_row(3, birth_year="1850"),
        resident_row(4, birth_year="两千"),
        resident_row(5, name=""),
        resident_row(6, lives_alone="也许"),
        resident_row(7, visit_every_days="400"),
        resident_row(8),
        resident_row(8, phone="13900000099"),
        resident_row(10, name="名" * 41),
    ]
    html = upload(rows).get_data(as_text=True)
    found = problems(html)
    assert [(row, column) for row, column, _message in found] == [
        (2, "电话"),
        (3, "楼栋"),
        (4, "出生年份"),
        (5, "出生年份"),
        (6, "姓名"),
        (7, "独居"),
        (8, "每隔几天探访一次"),
        (10, "姓名"),
        (11, "姓名"),
    ]
    messages = dict(((row, column), message) for row, column, message in found)
    assert "12345" in messages[(2, "电话")]
    assert "99号楼" in messages[(3, "楼栋")] and "1号楼" in messages[(3, "楼栋")]
    assert "1900" in messages[(4, "出生年份")]
    assert "第 9 行" in messages[(10, "姓名")]
    assert "40" in messages[(11, "姓名")]
    counts = dict(re.findall(r"<dt>(.*?)</dt><dd>(\d+)</dd>", html))
    assert counts["有问题"] == "9" and counts["新增"] == "1"


def test_two_rows_with_the_same_phone_and_name_are_one_person(upload):
    rows = [REGISTER_HEADERS, resident_row(1), resident_row(1, room="999", building="2号楼")]
    (problem,) = problems(upload(rows).get_data(as_text=True))
    assert problem[:2] == (3, "电话")


# Nothing before confirming; then all or nothing -----------------------------------------------


def test_preview_writes_nothing_and_confirm_writes_every_row(app, admin_client, upload):
    preview = upload(register_file(20))
    assert residents(app) == []
    response = confirm(admin_client, preview)
    assert response.status_code == 302 and response.headers["Location"] == "/beneficiaries/"
    saved = residents(app)
    assert len(saved) == 20
    first = saved[0]
    assert (first.name, first.unit, first.room, first.phone, first.birth_year) == (
        "居民001",
        "1单元",
        "101",
        "13900000001",
        1945,
    )
    assert first.visit_every_days == 14 and first.active and first.visit_due_at is not None
    assert "已导入：新登记 20 位老人，更新 0 位。" in admin_client.get("/beneficiaries/").get_data(
        as_text=True
    )


def test_three_bad_rows_of_fifty_write_nothing_until_left_out(app, admin_client, upload):
    rows = register_file(50)
    rows[10] = resident_row(10, phone="110")
    rows[20] = resident_row(20, building="甲栋")
    rows[30] = resident_row(30, birth_year="3000")
    preview = upload(rows)
    assert [row for row, _c, _m in problems(preview.get_data(as_text=True))] == [11, 21, 31]

    refused = confirm(admin_client, preview)
    assert refused.status_code == 422
    assert "有些行有问题" in refused.get_data(as_text=True)
    assert residents(app) == []

    assert confirm(admin_client, preview, skip_invalid=True).status_code == 302
    assert len(residents(app)) == 47


def test_the_skip_box_starts_unticked_and_is_offered_only_when_there_are_problems(admin_client, upload):
    clean = upload(register_file(3))
    assert "skip_invalid" not in form_on(admin_client, clean.request.path).names
    rows = register_file(3)
    rows[1] = resident_row(1, phone="1")
    with_problem = upload(rows)
    (box,) = form_on(admin_client, with_problem.request.path).named("skip_invalid")
    assert not box.checked


def test_a_failure_while_saving_keeps_nothing(app, admin_client, upload, monkeypatch):
    preview = upload(register_file(10))
    calls = []

    def fail_on_the_fifth(self, now=None):
        calls.append(self)
        if len(calls) == 5:
            raise RuntimeError("disk full")

    monkeypatch.setattr(Beneficiary, "refresh_visit_due", fail_on_the_fifth)
    with pytest.raises(RuntimeError):
        confirm(admin_client, preview)
    assert residents(app) == []


def test_importing_the_same_file_twice_changes_nothing_the_second_time(app, admin_client, upload):
    rows = register_file(30)
    assert confirm(admin_client, upload(rows)).status_code == 302
    before = [(r.id, r.name, r.phone, r.room, r.visit_due_at) for r in residents(app)]

    again = upload(rows)
    html = again.get_data(as_text=True)
    counts = dict(re.findall(r"<dt>(.*?)</dt><dd>(\d+)</dd>", html))
    assert counts == {"新增": "0", "更新": "0", "不变": "30", "有问题": "0"}
    assert "没有要保存的内容" in html
    assert [(r.id, r.name, r.phone, r.room, r.visit_due_at) for r in residents(app)] == before


def test_a_changed_row_updates_the_resident_matched_by_phone_and_name(
    app, admin_client, upload, make_beneficiary
):
    known = make_beneficiary(name="张桂芳", phone="13912345678", room="301", building=1, care_notes="耳背")
    preview = upload([["姓名", "电话", "楼栋", "门牌号"], ["张桂芳", "13912345678", "2号楼", "502"]])
    html = preview.get_data(as_text=True)
    (row,) = table_rows(html, "import-rows")
    assert row[1] == "更新"
    assert '<td class="changed">2号楼</td>' in html and '<td class="changed">502</td>' in html
    confirm(admin_client, preview)
    (saved,) = residents(app)
    assert saved.id == known.id and saved.room == "502"
    assert saved.care_notes == "耳背"  # not a column of the file: kept


def test_without_a_phone_a_resident_is_matched_by_name_and_address(
    app, admin_client, upload, make_beneficiary
):
    known = make_beneficiary(name="李秀英", phone="", unit="2单元", room="101", building=2)
    confirm(
        admin_client,
        upload([["姓名", "楼栋", "单元", "门牌号", "独居"], ["李秀英", "2", "2单元", "101", "是"]]),
    )
    (saved,) = residents(app)
    assert saved.id == known.id and saved.lives_alone


def test_a_couple_sharing_a_phone_stays_two_people(app, admin_client, upload, make_beneficiary):
    make_beneficiary(name="王建国", phone="02412345678", room="301")
    confirm(admin_client, upload([["姓名", "楼栋", "门牌号", "电话"], ["刘淑珍", "1", "301", "02412345678"]]))
    assert sorted(r.name for r in residents(app)) == ["刘淑珍", "王建国"]


def test_a_changed_register_between_preview_and_confirm_asks_to_check_again(
    app, admin_client, upload, make_beneficiary
):
    preview = upload([["姓名", "楼栋", "门牌号", "电话"], ["张桂芳", "1", "301", "13912345678"]])
    previewed = fingerprint(preview.get_data(as_text=True))
    make_beneficiary(name="张桂芳", phone="13912345678", room="301", building=1)
    response = admin_client.post(preview.request.path, data={"fingerprint": previewed})
    assert response.status_code == 422
    assert "预览之后记录有了变化" in response.get_data(as_text=True)
    assert len(residents(app)) == 1
    assert confirm(admin_client, preview).status_code == 302
    assert len(residents(app)) == 1


def test_a_confirmed_upload_cannot_be_confirmed_again(app, admin_client, upload):
    preview = upload(register_file(2))
    url = preview_url(preview)
    previewed = fingerprint(preview.get_data(as_text=True))
    assert confirm(admin_client, preview).status_code == 302
    again = admin_client.post(url, data={"fingerprint": previewed})
    assert again.status_code == 302 and again.headers["Location"] == "/beneficiaries/import"
    assert len(residents(app)) == 2
    upload_id = url.rsplit("/", 1)[1]
    assert list(Path(app.config["IMPORT_DIR"]).glob(f"{upload_id}.*")) == []


def fingerprint(html: str) -> str:
    return re.search(r'id="fingerprint" name="fingerprint" type="hidden" value="([0-9a-f]+)"', html).group(1)


# Who may, and whose records ------------------------------------------------------------------


def test_volunteers_are_refused_everywhere(auth, admin_client, upload):
    preview_path = upload(register_file(2)).request.path
    volunteer = auth.login(Role.VOLUNTEER)
    for url in (
        "/beneficiaries/import",
        "/beneficiaries/import/template.xlsx",
        preview_path,
        "/beneficiaries/register.xlsx",
    ):
        assert volunteer.get(url).status_code == 403


def test_a_coordinator_imports_too(app, coordinator_client, upload):
    preview = upload(register_file(2), client=coordinator_client)
    assert confirm(coordinator_client, preview).status_code == 302
    assert len(residents(app)) == 2


def test_another_persons_upload_is_not_theirs_to_see(auth, upload):
    preview_path = upload(register_file(2)).request.path
    other_admin = auth.login(Role.ADMIN)
    response = other_admin.get(preview_path)
    assert response.status_code == 302 and response.headers["Location"] == "/beneficiaries/import"


def test_another_stations_residents_are_never_matched_or_updated(
    app, admin_client, upload, make_station, make_beneficiary
):
    elsewhere = make_station()
    theirs = make_beneficiary(station=elsewhere, name="张桂芳", phone="13912345678", room="301", building=1)
    preview = upload([["姓名", "楼栋", "门牌号", "电话"], ["张桂芳", "1", "301", "13912345678"]])
    assert table_rows(preview.get_data(as_text=True), "import-rows")[0][1] == "新增"
    confirm(admin_client, preview)
    (their_record,) = residents(app, elsewhere.id)
    assert their_record.id == theirs.id and their_record.station_id == elsewhere.id
    assert len(residents(app, admin_client.user.station_id)) == 1


def test_preview_is_kept_out_of_caches(upload):
    preview = upload(register_file(1))
    assert preview.headers["Cache-Control"] == "no-store"
    assert 'hx-history="false"' in preview.get_data(as_text=True)


def test_preview_and_confirm_cost_the_same_queries_for_10_or_200_rows(admin_client, upload, count_queries):
    def measure(rows):
        preview = upload(rows)
        url = preview.request.path
        with count_queries() as reading:
            admin_client.get(url)
        with count_queries() as writing:
            confirm(admin_client, preview)
        return reading.count, writing.count

    small = measure(register_file(10))
    rows = [REGISTER_HEADERS, *[resident_row(number) for number in range(101, 301)]]
    large = measure(rows)
    assert large[0] == small[0]
    assert large[1] <= small[1] + 2, (small, large)


def test_the_template_imports_as_one_new_resident(admin_client, upload):
    template = admin_client.get("/beneficiaries/import/template.xlsx")
    assert template.status_code == 200
    html = upload(template.data, "template.xlsx").get_data(as_text=True)
    assert problems(html) == []
    assert [row[1] for row in table_rows(html, "import-rows")] == ["新增"]


def test_upload_page_links_the_template_and_states_the_limits(admin_client):
    html = admin_client.get("/beneficiaries/import").get_data(as_text=True)
    assert 'href="/beneficiaries/import/template.xlsx"' in html
    assert "2 MB" in html and "5000" in html
    assert 'href="/beneficiaries/import"' in admin_client.get("/beneficiaries/").get_data(as_text=True)
