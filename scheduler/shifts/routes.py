"""Staff pages: the week board, planning shifts and series, assigning people, attendance."""

from datetime import date, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from scheduler.access import current_station_id, get_in_station_or_404, in_station, roles_required
from scheduler.confirmation import asks_first
from scheduler.extensions import db
from scheduler.menu.services import station_services
from scheduler.models import RECORDED_STATES, STAFF_ROLES, STATION_AREAS, Assignment, AssignmentState, Shift
from scheduler.rendering import form_status, private, render, wants_fragment
from scheduler.rules import RuleViolation
from scheduler.shifts import planning, services
from scheduler.shifts.attendance import set_attendance
from scheduler.shifts.availability import station_tags
from scheduler.shifts.blueprint import bp
from scheduler.shifts.formatting import shift_time
from scheduler.shifts.forms import (
    SCOPE_LATER,
    AssignForm,
    AttendanceForm,
    CancelForm,
    CopyWeekForm,
    SeriesForm,
    ShiftForm,
)
from scheduler.shifts.queries import (
    candidates_for,
    people_hours,
    waiting_counts,
    waitlist_of,
    week_board,
    week_shifts,
)
from scheduler.shifts.weeks import is_plannable, local_today, to_local, week_start


def parse_day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if is_plannable(day) else None


def parse_week(value: str) -> date:
    """The Monday of the week named by any of its dates (YYYY-MM-DD), or 404."""
    day = parse_day(value)
    if day is None:
        abort(404)
    return week_start(day)


def week_url(shift: Shift) -> str:
    monday = week_start(to_local(shift.starts_at).date())
    return url_for("shifts.week", week=monday.isoformat(), _anchor=f"shift-{shift.id}")


def location_choices() -> list[str]:
    """The station's areas, then the other places this station has used."""
    used = db.session.scalars(
        in_station(Shift, Shift.location != "").with_only_columns(Shift.location).distinct()
    )
    return list(dict.fromkeys([*STATION_AREAS, *sorted(used)]))


# The week board --------------------------------------------------------------------------


@bp.get("/")
@roles_required(*STAFF_ROLES)
def board():
    return week_page(week_start(local_today()))


@bp.get("/week/<week>")
@roles_required(*STAFF_ROLES)
def week(week: str):
    return week_page(parse_week(week))


def week_page(monday: date):
    return private(render("shifts/week.html", block="board", board=week_board(monday)))


def card(shift_id: int, status: int = 200, problem: str | None = None, picker: bool = False):
    """One board card re-rendered; with ``picker`` the open picker is refreshed, or closed once full."""
    shift = get_in_station_or_404(Shift, shift_id)
    return render(
        "shifts/_shift_card.html",
        block="shift_card",
        status=status,
        shift=shift,
        waiting=waiting_counts([shift.id]),
        problem=problem,
        candidates=candidates_for(shift) if picker and shift.is_unfilled else None,
        close_picker=picker and not shift.is_unfilled,
        week=week_shifts(week_start(to_local(shift.starts_at).date())),
    )


@bp.get("/<id:shift_id>/picker")
@roles_required(*STAFF_ROLES)
def picker(shift_id: int):
    shift = get_in_station_or_404(Shift, shift_id)
    search = request.args.get("q", "")
    # htmx fills the board's panel (or, while typing a name, just the list); a plain visit gets a page.
    template = "shifts/_picker_panel.html" if wants_fragment() else "shifts/picker.html"
    block = "picker_list" if request.headers.get("HX-Trigger-Name") == "q" else "picker"
    return private(
        render(template, block=block, shift=shift, candidates=candidates_for(shift, search), search=search)
    )


@bp.post("/<id:shift_id>/assign")
@roles_required(*STAFF_ROLES)
def assign(shift_id: int):
    shift = get_in_station_or_404(Shift, shift_id)
    form = AssignForm()
    try:
        if not form.validate():
            raise RuleViolation(_("Choose a person."))
        assignment = services.assign(shift.id, form.user_id.data, by=current_user)
    except RuleViolation as violation:
        if wants_fragment():
            return card(shift_id, status=409, problem=violation.message, picker=True)
        flash(violation.message, "error")
        return redirect(url_for("shifts.picker", shift_id=shift_id))
    flash(_("%(name)s is on the shift now.", name=assignment.user.display_name), "success")
    if wants_fragment():
        return card(shift_id, picker=True)
    return redirect(week_url(shift))


def removal_question(assignment_id: int) -> str:
    assignment = get_in_station_or_404(Assignment, assignment_id)
    return _(
        "Take %(name)s off “%(title)s” (%(time)s)?",
        name=assignment.user.display_name,
        title=assignment.shift.title,
        time=shift_time(assignment.shift),
    )


@bp.post("/assignments/<id:assignment_id>/remove")
@roles_required(*STAFF_ROLES)
@asks_first(removal_question)
def remove(assignment_id: int):
    assignment = get_in_station_or_404(Assignment, assignment_id)
    shift, name = assignment.shift, assignment.user.display_name
    try:
        services.remove_assignment(assignment.id, by=current_user)
    except RuleViolation as violation:
        if wants_fragment():
            return card(shift.id, status=409, problem=violation.message)
        flash(violation.message, "error")
    else:
        flash(_("%(name)s is off the shift.", name=name), "success")
        if wants_fragment():
            return card(shift.id)
    # Plain forms come from the board or from the shift's own page, and go back there.
    if request.form.get("back") == "detail":
        return redirect(url_for("shifts.detail", shift_id=shift.id))
    return redirect(week_url(shift))


@bp.post("/week/<week>/copy")
@roles_required(*STAFF_ROLES)
def copy_week(week: str):
    """First a preview (what would be copied, what is skipped); its button writes what it showed."""
    monday = parse_week(week)
    form = CopyWeekForm()
    if not (form.validate_on_submit() and form.apply.data and form.shift_ids.data is not None):
        preview = planning.preview_copy_week(current_station_id(), monday, by=current_user)
        form.shift_ids.data = preview.source_shift_ids
        form.assignment_ids.data = preview.carried_assignment_ids
        return private(render("shifts/copy_preview.html", form=form, preview=preview, monday=monday))
    previewed = planning.Previewed(form.shift_ids.data, form.assignment_ids.data or set())
    result = planning.copy_week(current_station_id(), monday, by=current_user, previewed=previewed)
    flash(
        _(
            "Copied to next week: %(shifts)s new shifts, %(placed)s people asked to confirm, "
            "%(skipped)s not copied (busy, full or already answered).",
            shifts=result.shifts_created,
            placed=result.people_placed,
            skipped=result.people_skipped,
        ),
        "success",
    )
    return redirect(url_for("shifts.week", week=(monday + timedelta(days=7)).isoformat()))


@bp.get("/week/<week>/roster")
@roles_required(*STAFF_ROLES)
def roster(week: str):
    board = week_board(parse_week(week))
    return private(render("shifts/roster.html", board=board))


# One shift --------------------------------------------------------------------------------


@bp.get("/<id:shift_id>")
@roles_required(*STAFF_ROLES)
def detail(shift_id: int):
    shift = get_in_station_or_404(Shift, shift_id)
    return private(render("shifts/detail.html", shift=shift, waitlist=waitlist_of(shift)))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_shift():
    form = ShiftForm(station_services(), station_tags(current_station_id()))
    if not form.is_submitted():
        form.day.data = parse_day(request.args.get("day", "")) or local_today()
    if form.validate_on_submit():
        try:
            shift = planning.create_shift(current_station_id(), form.day.data, form.details())
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Shift “%(title)s” created.", title=shift.title), "success")
            return redirect(week_url(shift))
    return render(
        "shifts/shift_form.html",
        form=form,
        shift=None,
        locations=location_choices(),
        status=form_status(form),
    )


@bp.route("/series/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_series():
    form = SeriesForm(station_services(), station_tags(current_station_id()))
    if form.validate_on_submit():
        try:
            shifts = planning.create_series(
                current_station_id(),
                form.details(),
                weekdays=form.weekdays.data,
                first_day=form.first_day.data,
                last_day=form.last_day.data,
                extra_slots=form.extra_slots(),
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("%(count)s shifts planned.", count=len(shifts)), "success")
            return redirect(week_url(shifts[0]))
    return render(
        "shifts/series_form.html", form=form, locations=location_choices(), status=form_status(form)
    )


@bp.route("/<id:shift_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit(shift_id: int):
    shift = get_in_station_or_404(Shift, shift_id)
    form = ShiftForm(station_services(), station_tags(shift.station_id), obj=shift)
    if not form.is_submitted():
        starts, ends = to_local(shift.starts_at), to_local(shift.ends_at)
        form.day.data, form.start.data, form.end.data = starts.date(), starts.time(), ends.time()
        form.kind.data = shift.kind.value
    if form.validate_on_submit():
        try:
            changed = planning.update_shift(
                shift.id, form.day.data, form.details(), later_too=form.scope.data == SCOPE_LATER
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("%(count)s shifts saved.", count=len(changed)), "success")
            return redirect(url_for("shifts.detail", shift_id=shift.id))
    return render(
        "shifts/shift_form.html",
        form=form,
        shift=shift,
        locations=location_choices(),
        status=form_status(form),
    )


@bp.route("/<id:shift_id>/cancel", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def cancel(shift_id: int):
    shift = get_in_station_or_404(Shift, shift_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancelled = planning.cancel_shift(shift.id, later_too=form.scope.data == SCOPE_LATER)
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(
                _("%(count)s shifts cancelled; the people on them have been told.", count=len(cancelled)),
                "success",
            )
            return redirect(week_url(shift))
    return render("shifts/cancel.html", form=form, shift=shift, status=409 if form.form_errors else 200)


def likely_attendees(shift: Shift) -> list[int]:
    """Who starts ticked: those who checked in at the desk, once anyone has; before that (a
    station not using check-in), confirmed people, who most likely came."""
    if any(a.checked_in_at for a in shift.place_holders):
        return [a.user_id for a in shift.place_holders if a.checked_in_at]
    came = (AssignmentState.CONFIRMED, AssignmentState.ATTENDED)
    return [a.user_id for a in shift.place_holders if a.state in came]


@bp.route("/<id:shift_id>/attendance", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def attendance(shift_id: int):
    shift = get_in_station_or_404(Shift, shift_id)
    form = AttendanceForm()
    form.attended.choices = [SelectChoice(a.user_id, a.user.display_name) for a in shift.place_holders]
    correcting = any(a.state in RECORDED_STATES for a in shift.place_holders)
    if not form.is_submitted():
        form.attended.data = likely_attendees(shift)
    if form.validate_on_submit():
        try:
            set_attendance(shift.id, set(form.attended.data), by=current_user, reason=form.reason.data)
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Attendance saved."), "success")
            return redirect(url_for("shifts.detail", shift_id=shift.id))
    return private(
        render(
            "shifts/attendance.html",
            form=form,
            shift=shift,
            correcting=correcting,
            status=409 if form.form_errors or form.reason.errors else 200,
        )
    )


@bp.get("/people")
@roles_required(*STAFF_ROLES)
def people():
    month = (parse_day(request.args.get("month", "") + "-01") or local_today()).replace(day=1)
    return private(render("shifts/people.html", rows=people_hours(current_station_id(), month), month=month))
