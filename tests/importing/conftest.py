"""Spreadsheets made in the test, as Excel and older Chinese Excel write them, and how to read a preview."""

import csv
import io
import re
from html import unescape

import pytest
from openpyxl import Workbook

from tests.factories_visits import make_beneficiary, station_admin  # noqa: F401

REGISTER_HEADERS = ["姓名", "楼栋", "单元", "门牌号", "电话", "出生年份", "独居", "每隔几天探访一次"]


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def resident_row(number: int, **overrides) -> list:
    """One resident of the register: building 1..3, phone and room from ``number``."""
    values = {
        "name": f"居民{number:03d}",
        "building": f"{number % 3 + 1}号楼",
        "unit": "1单元",
        "room": str(100 + number),
        "phone": f"139{number:08d}",
        "birth_year": "1945",
        "lives_alone": "否",
        "visit_every_days": "14",
    }
    values.update(overrides)
    return list(values.values())


def register_file(count: int) -> list[list]:
    return [REGISTER_HEADERS, *[resident_row(number) for number in range(1, count + 1)]]


def table_rows(html: str, table_class: str) -> list[list[str]]:
    """The body rows of a table as the text of their cells."""
    table = re.search(rf'<table class="[^"]*{table_class}[^"]*">(.*?)</table>', html, re.S)
    assert table, f"no table {table_class}"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), re.S).group(1)
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append([unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells])
    return rows


def problems(html: str) -> list[tuple[int, str, str]]:
    if "import-problems" not in html:
        return []
    return [(int(row), column, message) for row, column, message in table_rows(html, "import-problems")]


def close_request_body(response) -> None:
    """A large upload's body is a temporary file that the test client closes only after redirects."""
    response.get_data()
    response.request.input_stream.close()


@pytest.fixture
def upload(admin_client):
    """``upload(rows_or_bytes, name)``: the secretary uploads a file; returns the preview page's response."""

    def send(
        content, filename: str = "register.xlsx", client=admin_client, url: str = "/beneficiaries/import"
    ):
        from tests.forms import submit_form

        data = content if isinstance(content, bytes) else xlsx_bytes(content)
        response = submit_form(client, url, files={"file": (data, filename)})
        close_request_body(response)
        if response.status_code == 302:
            return client.get(response.headers["Location"])
        return response

    return send
