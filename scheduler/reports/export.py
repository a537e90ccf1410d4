"""The monthly report as files: its hours table as CSV (Excel opens it with its Chinese
intact), and the whole report as an .xlsx workbook through the shared spreadsheet writer."""

import csv
import io

from flask_babel import gettext as _

from scheduler.reports.monthly import MonthlyReport, VolunteerHours
from scheduler.reports.months import month_label
from scheduler.shifts.formatting import hours
from scheduler.spreadsheets import Sheet, spreadsheet_text, workbook_bytes
from scheduler.timebank.queries import in_credits

# Excel reads a CSV without a byte order mark in the system's code page (GBK in China).
UTF8_BOM = "\ufeff"


def in_hours(value: float) -> float:
    return round(value, 2)


def hours_sheet(rows: list[VolunteerHours]) -> Sheet:
    """Per volunteer: who they are and their hours in the month (numbers, not text)."""
    return Sheet(
        _("Service hours"),
        [
            _("Name"),
            _("What they are"),
            _("Building"),
            _("Shifts and activities (h)"),
            _("Home services (h)"),
            _("Total (h)"),
        ],
        [
            [
                row.user.display_name,
                row.kind_label,
                row.user.building.name if row.user.building else "",
                in_hours(row.hours.shift_hours),
                in_hours(row.hours.task_hours),
                in_hours(row.hours.total),
            ]
            for row in rows
        ],
    )


def hours_csv(rows: list[VolunteerHours]) -> bytes:
    sheet = hours_sheet(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(sheet.headers)
    for row in sheet.rows:
        writer.writerow(
            [spreadsheet_text(value) if isinstance(value, str) else hours(value) for value in row]
        )
    return (UTF8_BOM + buffer.getvalue()).encode("utf-8")


def report_workbook(report: MonthlyReport, station_name: str) -> bytes:
    """The month at a glance, the hours table, hours by kind and residents' requests."""
    served, shifts, tasks, requests = (
        report.hours,
        report.shift_total,
        report.task_total,
        report.request_total,
    )
    summary = Sheet(
        _("Monthly report"),
        [_("Figure"), _("Value")],
        [
            [_("Station"), station_name],
            [_("Month"), month_label(report.month)],
            [_("Volunteers taking part"), len(report.volunteers)],
            [_("Hours of service"), in_hours(served.total)],
            [_("Person-times"), report.person_times],
            [_("Shifts and activities held"), shifts.held],
            [_("Places filled"), shifts.filled],
            [_("No-shows"), shifts.no_shows],
            [_("Home services done"), tasks.done],
            [_("Visits that raised a concern"), tasks.flagged],
            [_("Residents in care"), report.care.in_care],
            [_("Residents visited"), report.care.visited],
            [_("Residents’ requests done"), requests.done],
            [_("Time bank credits earned"), in_credits(report.credits.earned)],
            [_("Time bank credits redeemed"), in_credits(report.credits.redeemed)],
            [_("Time bank credits outstanding at the month’s end"), in_credits(report.credits.outstanding)],
            [_("Compiled"), report.compiled_at],
        ],
    )
    kinds = Sheet(
        _("By kind of volunteer"),
        [_("Kind"), _("Number of people"), _("Hours")],
        [[total.label, total.people, in_hours(total.hours.total)] for total in report.kinds],
    )
    asked = Sheet(
        _("Residents’ requests"),
        [_("Service"), _("Asked for"), _("Fulfilled"), _("Refused"), _("Rating")],
        [
            [
                row.title,
                row.figures.received,
                row.figures.done,
                row.figures.declined,
                row.figures.average_rating,
            ]
            for row in report.requests
        ],
    )
    return workbook_bytes([summary, hours_sheet(report.volunteers), kinds, asked])
