"""The monthly report as an Excel workbook: the same figures, as numbers, under Chinese headers."""

import io

from openpyxl import load_workbook

from scheduler.models import AssignmentState, Role
from tests.reports.conftest import MARCH_URL, in_march


def workbook(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response, load_workbook(io.BytesIO(response.data))


def test_the_report_downloads_as_a_workbook_with_its_hours_table(admin_client, march):
    response, book = workbook(admin_client, f"{MARCH_URL}/report.xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''%E6%9C%88%E6%8A%A5-2025-03.xlsx" in response.headers["Content-Disposition"]
    assert book.sheetnames == ["月度报表", "服务时长", "按志愿者类型", "居民请求"]
    hours = book["服务时长"]
    assert [cell.value for cell in hours[1]] == [
        "姓名",
        "身份",
        "楼栋",
        "值班和活动（小时）",
        "上门服务（小时）",
        "合计（小时）",
    ]
    assert [cell.value for cell in hours[2]][:2] == ["张桂兰", "楼栋长"]
    assert [cell.value for cell in hours[2]][3:] == [4, 1.5, 5.5]
    assert hours.freeze_panes == "A2"
    summary = {row[0].value: row[1].value for row in book["月度报表"].iter_rows(min_row=2)}
    assert summary["参与志愿者（人）"] == 4
    assert summary["月份"] == "2025年3月"
    assert summary["服务时长（小时）"] == 13.83


def test_a_name_that_looks_like_a_formula_stays_text(admin_client, make_user, make_shift, place):
    place(
        make_shift(starts_at=in_march(3)),
        make_user(display_name="=cmd|' /C calc'!A0"),
        AssignmentState.ATTENDED,
    )
    _response, book = workbook(admin_client, f"{MARCH_URL}/report.xlsx")
    cell = book["服务时长"]["A2"]
    assert cell.value == "=cmd|' /C calc'!A0"
    assert cell.data_type == "s" and cell.quotePrefix


def test_only_staff_download_the_report(auth):
    assert auth.login(Role.VOLUNTEER).get(f"{MARCH_URL}/report.xlsx").status_code == 403
    assert auth.login(Role.COORDINATOR).get(f"{MARCH_URL}/report.xlsx").status_code == 200


def test_report_page_links_the_workbook(admin_client):
    assert 'href="/reports/2025-03/report.xlsx" download' in admin_client.get(MARCH_URL).get_data(
        as_text=True
    )
