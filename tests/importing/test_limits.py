"""What cannot be imported is refused with a message that says why, before anything is kept."""

import io
import zipfile

import pytest

from scheduler.importing.files import MAX_BYTES, MAX_ROWS
from tests.conftest import form_error
from tests.importing.conftest import (
    REGISTER_HEADERS,
    close_request_body,
    csv_bytes,
    register_file,
    resident_row,
    xlsx_bytes,
)


def refusal(response) -> str:
    assert response.status_code == 422, response.status_code
    message = form_error(response.get_data(as_text=True), "file")
    assert message, "no message next to the file field"
    return message


def zip_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def workbook_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_file_just_over_2_mb_is_refused(upload):
    content = csv_bytes(register_file(1)) + b"#" * (MAX_BYTES + 1)
    assert "超过 2 MB" in refusal(upload(content, "register.csv"))


def test_a_much_larger_file_is_refused_too(upload):
    assert "超过 2 MB" in refusal(upload(b"x" * (3 * 1024 * 1024), "register.csv"))


def test_a_request_over_the_app_limit_gets_a_clear_413(admin_client):
    response = admin_client.post(
        "/beneficiaries/import", data={"file": (io.BytesIO(b"x" * (5 * 1024 * 1024)), "register.csv")}
    )
    close_request_body(response)
    assert response.status_code == 413
    assert "最大 2 MB" in response.get_data(as_text=True)


def test_more_than_5000_rows_are_refused(upload):
    rows = [REGISTER_HEADERS, *[resident_row(number) for number in range(1, MAX_ROWS + 2)]]
    assert "超过 5000 行" in refusal(upload(csv_bytes(rows), "register.csv"))


@pytest.mark.parametrize(
    "content, name, expected",
    [
        (csv_bytes(register_file(2)), "register.xlsx", "不是 Excel 工作簿"),
        (xlsx_bytes(register_file(2)), "register.csv", "不是 CSV 文本文件"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "register.csv", "不是 CSV 文本文件"),
        (xlsx_bytes(register_file(2)), "register.xlsm", "请上传 Excel 工作簿（.xlsx）或 CSV 文件（.csv）"),
        (csv_bytes(register_file(2)), "register.txt", "请上传 Excel 工作簿（.xlsx）或 CSV 文件（.csv）"),
        (b"", "register.csv", "文件是空的"),
        (csv_bytes([REGISTER_HEADERS]), "register.csv", "没有数据行"),
        (b"\xff\xff\xff\xff,\n1,2\n", "register.csv", "既不是 UTF-8 也不是 GBK"),
    ],
    ids=[
        "csv-named-xlsx",
        "xlsx-named-csv",
        "png-named-csv",
        "xlsm-name",
        "txt",
        "empty",
        "header-only",
        "utf16",
    ],
)
def test_the_content_decides_not_the_name(upload, content, name, expected):
    assert expected in refusal(upload(content, name))


def test_excels_unicode_text_in_utf16_is_read(upload):
    content = "姓名\t楼栋\t门牌号\n张桂芳\t1号楼\t301\n".encode("utf-16")
    response = upload(content, "register.csv")
    assert response.status_code == 200 and "张桂芳" in response.get_data(as_text=True)


def test_a_macro_enabled_workbook_named_xlsx_is_refused(upload):
    members = workbook_members(xlsx_bytes(register_file(2)))
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 macro"
    assert "含有宏" in refusal(upload(zip_with(members), "register.xlsx"))


def test_a_macro_enabled_content_type_is_refused(upload):
    members = workbook_members(xlsx_bytes(register_file(2)))
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"sheet.main+xml", b"sheet.macroEnabled.main+xml"
    )
    assert "含有宏" in refusal(upload(zip_with(members), "register.xlsx"))


def test_an_encrypted_workbook_is_refused_with_a_hint(upload):
    # Excel stores a password-protected .xlsx inside an OLE compound file.
    encrypted = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2048
    assert "设有密码" in refusal(upload(encrypted, "register.xlsx"))


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(upload, monkeypatch):
    import openpyxl

    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl opened a zip bomb"))
    members = workbook_members(xlsx_bytes(register_file(2)))
    members["xl/worksheets/sheet1.xml"] = b" " * (40 * 1024 * 1024)
    bomb = zip_with(members)
    assert len(bomb) < MAX_BYTES
    assert "解压后" in refusal(upload(bomb, "register.xlsx"))


def test_a_damaged_workbook_is_refused(upload):
    members = workbook_members(xlsx_bytes(register_file(2)))
    members["xl/workbook.xml"] = b"<not really xml"
    assert "已损坏" in refusal(upload(zip_with(members), "register.xlsx"))


def test_a_refused_file_keeps_nothing_on_the_server(app, upload):
    from pathlib import Path

    folder = Path(app.config["IMPORT_DIR"])
    before = set(folder.glob("*")) if folder.exists() else set()
    refusal(upload(b"", "register.csv"))
    after = set(folder.glob("*")) if folder.exists() else set()
    assert after == before


def test_no_file_chosen_says_so(admin_client):
    from tests.forms import submit_form

    assert "请选择要导入的文件" in refusal(submit_form(admin_client, "/beneficiaries/import", {}))
