"""Auto-fill pages: the proposal for a week or a series-month, and applying the kept lines."""

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.access import current_station_id, get_in_station_or_404, roles_required
from scheduler.models import STAFF_ROLES, ShiftSeries
from scheduler.rendering import private, render
from scheduler.shifts.autofill_plan import (
    apply_lines,
    empty_places,
    explained_lines,
    make_plan,
    parse_line,
    series_month_openings,
    week_openings,
)
from scheduler.shifts.blueprint import bp
from scheduler.shifts.forms import AutofillForm
from scheduler.shifts.routes import parse_day, parse_week
from scheduler.shifts.weeks import local_today


def proposal_page(shifts, heading: str, action: str, back: str):
    plan = make_plan(current_station_id(), shifts)
    lines = explained_lines(plan)
    form = AutofillForm()
    form.lines.choices = [(line.value, line.reason) for line in lines]
    form.lines.data = [line.value for line in lines]
    return private(
        render(
            "shifts/autofill.html",
            block="autofill",
            form=form,
            lines=lines,
            empty=empty_places(plan),
            heading=heading,
            action=action,
            back=back,
        )
    )


def apply_form(back: str):
    form = AutofillForm()
    if not form.validate_on_submit():
        abort(400)
    picks = [pick for pick in map(parse_line, form.lines.data) if pick is not None]
    result = apply_lines(current_station_id(), picks, by=current_user)
    flash(
        _("%(count)s people asked to confirm; they see it on their phones.", count=len(result.placed)),
        "success",
    )
    for skipped in result.skipped:
        flash(_("Not applied: %(reason)s", reason=skipped), "error")
    return redirect(back)


@bp.route("/week/<week>/autofill", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def autofill_week(week: str):
    monday = parse_week(week)
    back = url_for("shifts.week", week=monday.isoformat())
    if request.method == "POST":
        return apply_form(back)
    return proposal_page(
        week_openings(current_station_id(), monday),
        _("Auto-fill the week of %(day)s", day=monday.isoformat()),
        url_for("shifts.autofill_week", week=monday.isoformat()),
        back,
    )


def parse_month(value: str) -> date:
    day = parse_day(f"{value}-01") if value else local_today()
    if day is None:
        abort(404)
    return day.replace(day=1)


@bp.route("/series/<id:series_id>/autofill", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def autofill_series(series_id: int):
    series = get_in_station_or_404(ShiftSeries, series_id)
    month = parse_month(request.args.get("month", ""))
    back = url_for("shifts.board")
    if request.method == "POST":
        return apply_form(back)
    return proposal_page(
        series_month_openings(series.station_id, series.id, month),
        _("Fill %(month)s of “%(title)s”", month=month.strftime("%Y-%m"), title=series.title),
        url_for("shifts.autofill_series", series_id=series.id, month=month.strftime("%Y-%m")),
        back,
    )
