"""Read an uploaded spreadsheet into rows of text, refusing what is not a plain table.

The content decides, not the name: an .xlsx must be a zip holding a workbook without
macros, small when unpacked (a zip bomb is refused before openpyxl opens it); an
encrypted workbook is an OLE (compound file) container and is refused with a hint; a
.csv must be text in UTF-8 (with or without BOM) or GB18030/GBK, as Excel writes it.
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from flask_babel import gettext as _

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 60
# Empty rows between the data count too, up to this (a sheet formatted down to row 1,048,576).
MAX_PHYSICAL_ROWS = 4 * MAX_ROWS
MAX_CELL_CHARACTERS = 2000
# Unpacked, a 2 MB workbook of 5,000 rows is a few tens of MB at most; a bomb is far more.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBER_RATIO = 200
MAX_MEMBERS = 500
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
EXTENSIONS = (".xlsx", ".csv")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class SpreadsheetError(Exception):
    """The file cannot be imported at all; the message tells the secretary what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """The first sheet as text: its header cells and its data rows with their row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


def read_table(data: bytes, filename: str) -> Table:
    name = (filename or "").strip().lower()
    if not name.endswith(EXTENSIONS):
        raise SpreadsheetError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    if len(data) > MAX_BYTES:
        raise SpreadsheetError(too_large_message())
    if not data.strip():
        raise SpreadsheetError(_("The file is empty."))
    if data.startswith(OLE_MAGIC):
        raise SpreadsheetError(
            _(
                "This workbook is password-protected or in the old .xls format. "
                "Open it in Excel, remove the password and save it as .xlsx (Excel workbook)."
            )
        )
    if name.endswith(".xlsx"):
        if not data.startswith(ZIP_MAGIC):
            raise SpreadsheetError(_("This file is not an Excel workbook (.xlsx), whatever its name says."))
        rows = _xlsx_rows(data)
    elif data.startswith(UTF16_BOMS):
        rows = _csv_rows(data)
    else:
        if data.startswith(ZIP_MAGIC) or b"\x00" in data:
            raise SpreadsheetError(_("This file is not a CSV text file, whatever its name says."))
        rows = _csv_rows(data)
    return _table(rows)


def too_large_message() -> str:
    return _(
        "The file is larger than 2 MB. Split it into smaller files, or remove pictures and other sheets."
    )


def _check_zip(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    names = {member.filename for member in members}
    if len(members) > MAX_MEMBERS:
        raise SpreadsheetError(_("This workbook has too many parts to be a simple table."))
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise SpreadsheetError(
            _("This workbook contains macros. Save it as a plain Excel workbook (.xlsx) without macros.")
        )
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError(_("This file is not an Excel workbook (.xlsx), whatever its name says."))
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if b"macroEnabled" in content_types:
        raise SpreadsheetError(
            _("This workbook contains macros. Save it as a plain Excel workbook (.xlsx) without macros.")
        )
    unpacked = sum(member.file_size for member in members)
    bomb = unpacked > MAX_UNPACKED_BYTES or any(
        member.file_size > 1024 * 1024 and member.file_size > MAX_MEMBER_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if bomb:
        raise SpreadsheetError(
            _("This workbook unpacks to far more than a table of this size holds: refused.")
        )


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_zip(archive)
    except zipfile.BadZipFile as error:
        raise SpreadsheetError(_("This Excel workbook is damaged and cannot be read.")) from error
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise SpreadsheetError(_("This Excel workbook is damaged and cannot be read.")) from error
    try:
        if not workbook.worksheets:
            raise SpreadsheetError(_("The file is empty."))
        rows = []
        for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            _keep_row(rows, number, values)
        return rows
    except SpreadsheetError:
        raise
    except Exception as error:
        raise SpreadsheetError(_("This Excel workbook is damaged and cannot be read.")) from error
    finally:
        workbook.close()


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030, which covers GBK and GB2312 as Chinese Excel saves.

    Excel's "Unicode text" is UTF-16 with a byte order mark: read that too.
    """
    encodings = ("utf-16",) if data.startswith(UTF16_BOMS) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(
        _("The CSV file's text is neither UTF-8 nor GBK. Save it again from Excel as CSV.")
    )


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    rows = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, values in enumerate(reader, start=1):
            _keep_row(rows, number, values)
    except csv.Error as error:
        raise SpreadsheetError(_("The CSV file cannot be read: %(reason)s", reason=str(error))) from error
    return rows


def too_many_rows() -> SpreadsheetError:
    return SpreadsheetError(
        _("The file has more than %(count)d rows. Split it into several files.", count=MAX_ROWS)
    )


def _keep_row(rows: list, number: int, values) -> None:
    """Keep a row that has any text, as text; stop at one header row and MAX_ROWS of data."""
    if number > MAX_PHYSICAL_ROWS:
        raise SpreadsheetError(
            _(
                "The sheet goes on past row %(count)d. Delete the empty or formatted rows below the table.",
                count=MAX_PHYSICAL_ROWS,
            )
        )
    texts = [_text(value) for value in list(values)[:MAX_COLUMNS]]
    if any(texts):
        rows.append((number, texts))
        if len(rows) > MAX_ROWS + 1:
            raise too_many_rows()


def _text(value) -> str:
    """A cell as the text a person reads in it: 13800000000 not 13800000000.0, dates as 2024-03-01."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()[:MAX_CELL_CHARACTERS]


def _table(rows: list[tuple[int, list[str]]]) -> Table:
    if not rows:
        raise SpreadsheetError(_("The file is empty."))
    (_header_number, headers), *data = rows
    if not data:
        raise SpreadsheetError(_("The file has a header row but no rows of data."))
    return Table(headers=headers, rows=data)
