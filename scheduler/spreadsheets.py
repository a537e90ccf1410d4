"""Spreadsheets out: one writer for every .xlsx download, and the formula guard CSV shares.

A download is a list of ``Sheet``s: headers (already translated) and rows of plain
values. ``workbook_bytes`` writes them the same way everywhere: bold header row,
frozen under it, columns as wide as their text, moments as real Excel dates in the
community's time zone, and text that a spreadsheet would run as a formula kept as text.
"""

import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from flask import make_response
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from scheduler.rendering import private

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MIN_WIDTH, MAX_WIDTH = 6, 60
# Excel's sheet names: at most 31 characters, none of these.
SHEET_NAME_FORBIDDEN = str.maketrans({character: " " for character in "[]:*?/\\"})


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def spreadsheet_text(text: str) -> str:
    """Text for a CSV cell, shown as typed: a leading apostrophe keeps "=1+1" from running."""
    return f"'{text}" if looks_like_formula(text) else text


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: Chinese characters count twice."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _cell_value(value):
    """A value as the cell holds it, and its number format (None: the default)."""
    if isinstance(value, bool):
        return (_("yes") if value else _("no")), None
    if isinstance(value, datetime):
        local = to_user_timezone(value) if value.tzinfo else value
        return local.replace(tzinfo=None), DATETIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if value is None:
        return "", None
    if isinstance(value, int | float):
        return value, None
    return str(value), None


def _shown_text(value, number_format) -> str:
    if number_format == DATETIME_FORMAT:
        return "0000-00-00 00:00"
    if number_format == DATE_FORMAT:
        return "0000-00-00"
    return str(value)


def write_sheet(worksheet, sheet: Sheet) -> None:
    widths = [display_width(str(header)) for header in sheet.headers]
    worksheet.append([str(header) for header in sheet.headers])
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for row_number, row in enumerate(sheet.rows, start=2):
        for column, raw in enumerate(row, start=1):
            value, number_format = _cell_value(raw)
            cell = worksheet.cell(row=row_number, column=column)
            if isinstance(value, str):
                # openpyxl would store "=..." as a formula: keep it a string, marked as typed text.
                cell.value = value
                cell.data_type = "s"
                if looks_like_formula(value):
                    cell.quotePrefix = True
            else:
                cell.value = value
            if number_format:
                cell.number_format = number_format
            if column <= len(widths):
                widths[column - 1] = max(widths[column - 1], display_width(_shown_text(value, number_format)))
            else:
                widths.append(display_width(_shown_text(value, number_format)))
    for column, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(column)].width = min(
            max(width + 2, MIN_WIDTH), MAX_WIDTH
        )
    worksheet.freeze_panes = "A2"


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx file of ``sheets``, in their order."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        write_sheet(workbook.create_sheet(sheet.title.translate(SHEET_NAME_FORBIDDEN)[:31]), sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def attachment(ascii_name: str, name: str) -> str:
    """Content-Disposition for a download: a plain ASCII name, and the real one for browsers that read it."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def download(data: bytes, content_type: str, ascii_name: str, name: str):
    """A file download that no cache keeps: every one of ours holds names or personal data."""
    response = make_response(data)
    response.content_type = content_type
    response.headers["Content-Disposition"] = attachment(ascii_name, name)
    return private(response)


def xlsx_download(sheets: Sequence[Sheet], ascii_name: str, name: str):
    return download(workbook_bytes(sheets), XLSX_TYPE, ascii_name, name)
