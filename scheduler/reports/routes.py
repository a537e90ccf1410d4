"""The monthly report pages: a month on screen (and on A4 paper), its hours as CSV, all of it as .xlsx."""

from datetime import date

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.access import current_station_id, roles_required
from scheduler.models import STAFF_ROLES
from scheduler.rendering import private, render, wants_fragment
from scheduler.reports.blueprint import bp
from scheduler.reports.export import hours_csv, report_workbook
from scheduler.reports.monthly import monthly_report, volunteer_hours
from scheduler.reports.months import (
    month_key,
    month_label,
    next_month,
    parse_month,
    previous_month,
    this_month,
)
from scheduler.reports.trend import monthly_trend, trend_charts
from scheduler.spreadsheets import XLSX_TYPE, download


def month_or_404(text: str) -> date:
    first = parse_month(text)
    if first is None:
        abort(404)
    return first


@bp.get("/")
@roles_required(*STAFF_ROLES)
def index():
    """This month; the month picker's ?month=YYYY-MM goes on to that month's own address."""
    if "month" in request.args:
        return redirect(url_for("reports.month", month=month_key(month_or_404(request.args["month"]))))
    return report_page(this_month())


@bp.get("/<month>")
@roles_required(*STAFF_ROLES)
def month(month: str):
    return report_page(month_or_404(month))


def report_page(first: date):
    # Names and hours of the station's people: kept out of caches like every staff page with personal data.
    return private(
        render(
            "reports/month.html",
            block="report",
            report=monthly_report(current_station_id(), first),
            charts=trend_charts(monthly_trend(current_station_id(), first)),
            previous=previous_month(first),
            following=next_month(first),
            current=this_month(),
            page_title=_("Monthly report, %(month)s", month=month_label(first)),
            # htmx takes the document title from a <title> in a fragment; whole pages have theirs.
            title_in_fragment=wants_fragment(),
        )
    )


@bp.get("/<month>/hours.csv")
@roles_required(*STAFF_ROLES)
def hours_download(month: str):
    first = month_or_404(month)
    rows = volunteer_hours(current_station_id(), first)
    key = month_key(first)
    return download(
        hours_csv(rows),
        "text/csv; charset=utf-8",
        f"service-hours-{key}.csv",
        _("service-hours-%(month)s.csv", month=key),
    )


@bp.get("/<month>/report.xlsx")
@roles_required(*STAFF_ROLES)
def report_download(month: str):
    first = month_or_404(month)
    report = monthly_report(current_station_id(), first)
    key = month_key(first)
    return download(
        report_workbook(report, current_user.station.name),
        XLSX_TYPE,
        f"monthly-report-{key}.xlsx",
        _("monthly-report-%(month)s.xlsx", month=key),
    )
