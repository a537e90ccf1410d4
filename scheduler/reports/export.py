"""The per-volunteer hours of a month as a CSV file that Excel opens with its Chinese intact."""

import csv
import io
from urllib.parse import quote

from flask_babel import gettext as _

from scheduler.reports.monthly import VolunteerHours
from scheduler.shifts.formatting import hours

# Excel reads a CSV without a byte order mark in the system's code page (GBK in China).
UTF8_BOM = "\ufeff"
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Text shown as typed: a leading apostrophe keeps a name like "=1+1" from running."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def hours_csv(rows: list[VolunteerHours]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Name"),
            _("What they are"),
            _("Building"),
            _("Shifts and activities (h)"),
            _("Home services (h)"),
            _("Total (h)"),
        ]
    )
    for row in rows:
        person = row.user
        writer.writerow(
            [
                spreadsheet_text(person.display_name),
                row.kind_label,
                spreadsheet_text(person.building.name) if person.building else "",
                hours(row.hours.shift_hours),
                hours(row.hours.task_hours),
                hours(row.hours.total),
            ]
        )
    return (UTF8_BOM + buffer.getvalue()).encode("utf-8")


def attachment(ascii_name: str, name: str) -> str:
    """Content-Disposition for a download: a plain ASCII name, and the real one for browsers that read it."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
