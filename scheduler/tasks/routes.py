"""Tasks for staff (dashboard, creating, dispatching, check-alls) and for the volunteer holding them.

A volunteer reaches only tasks they hold and tasks open for anyone to take; any other
task is a 404, as if it did not exist. Every page here may show a resident's name or
address, so all of them are kept out of caches.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from scheduler.access import current_station_id, get_in_station_or_404, in_station, roles_required
from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.feedback import tell_in_card
from scheduler.inputs import parse_id
from scheduler.models import (
    STAFF_ROLES,
    STATION_ROLES,
    TASK_KIND_LABELS,
    TASK_STATE_LABELS,
    Beneficiary,
    Building,
    Task,
    TaskBatch,
    TaskEvent,
    TaskKind,
    TaskState,
    User,
    VisitRecord,
)
from scheduler.notices import unread_notices
from scheduler.pagination import paginate
from scheduler.people.services import station_buildings
from scheduler.rendering import form_status, htmx_page_path, private, render, wants_fragment
from scheduler.rules import RuleViolation
from scheduler.tasks import dispatch, planning, services
from scheduler.tasks.blueprint import bp
from scheduler.tasks.dashboard import batch_progress, build_dashboard
from scheduler.tasks.forms import (
    CheckAllForm,
    DeclineForm,
    DoneForm,
    HandleFlagForm,
    PreviewForm,
    ReasonForm,
    TaskForm,
)
from scheduler.tasks.home import card_context, log_contact_shown, task_anchor, with_resident
from scheduler.visits.privacy import shows_personal_data

PAGE_SIZE = 50


@bp.before_request
def personal_data_on_every_page():
    shows_personal_data()


def visible_task_or_404(task_id: int) -> Task:
    """Staff see their station's tasks; anyone else only a task they hold or may claim."""
    task = get_in_station_or_404(Task, task_id)
    if current_user.is_staff or task.assignee_id == current_user.id or task.is_claimable():
        return task
    abort(404)


def member_or_none(enum_class, value):
    try:
        return enum_class(value)
    except ValueError:
        return None


def station_member_or_404(user_id: int | None) -> User:
    if user_id is None:
        abort(400)
    return get_in_station_or_404(User, user_id)


# Staff: dashboard and lists ------------------------------------------------------------


@bp.get("/")
@roles_required(*STAFF_ROLES)
def dashboard():
    board = build_dashboard(current_station_id(), utcnow())
    return render("tasks/dashboard.html", board=board, now=board.now, handle_forms=flag_forms(board.flagged))


def flag_forms(records) -> dict:
    return {record.id: HandleFlagForm(record.id, formdata=None) for record in records}


@bp.get("/all")
@roles_required(*STAFF_ROLES)
def all_tasks():
    state = member_or_none(TaskState, request.args.get("state"))
    kind = member_or_none(TaskKind, request.args.get("kind"))
    criteria = []
    if state is not None:
        criteria.append(Task.state == state)
    if kind is not None:
        criteria.append(Task.kind == kind)
    page = paginate(
        in_station(Task, *criteria)
        .options(with_resident(), joinedload(Task.assignee))
        .order_by(Task.starts_at.desc(), Task.id.desc()),
        PAGE_SIZE,
    )
    return render(
        "tasks/all.html",
        block="results",
        page=page,
        state=state,
        kind=kind,
        states=TASK_STATE_LABELS,
        kinds=TASK_KIND_LABELS,
        now=utcnow(),
    )


# Staff: creating tasks -------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_task():
    beneficiaries = db.session.scalars(
        in_station(Beneficiary, Beneficiary.active.is_(True))
        .join(Beneficiary.building)
        .options(joinedload(Beneficiary.building))
        .order_by(Building.sort_order, Beneficiary.unit, Beneficiary.room)
    ).all()
    form = TaskForm(beneficiaries)
    if request.method == "GET":
        form.beneficiary_id.data = request.args.get("beneficiary", type=parse_id)
        form.set_default_window()
    if form.validate_on_submit():
        try:
            task = services.create_task(
                station_id=current_station_id(),
                beneficiary=get_in_station_or_404(Beneficiary, form.beneficiary_id.data),
                created_by=current_user,
                open_to_claim=form.open_to_claim.data,
                **form.window_and_kind(),
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Task created. Now choose who goes."), "success")
            return redirect(url_for("tasks.detail", task_id=task.id))
    return render("tasks/task_form.html", form=form, status=form_status(form))


@bp.route("/generate-visits", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def generate_visits():
    """GET shows who would get a visit task and who is skipped; POST writes exactly that, if still due."""
    form = PreviewForm()
    if form.validate_on_submit() and form.previewed.data is not None:
        created = planning.generate_due_visits(current_station_id(), previewed_ids=form.previewed.data)
        if created:
            flash(ngettext("%(num)d visit task created.", "%(num)d visit tasks created.", created), "success")
        else:
            flash(_("Every resident due for a visit already has a visit task."), "info")
        return redirect(url_for("tasks.dashboard"))
    plan = planning.plan_due_visits(current_station_id(), utcnow())
    form.previewed.data = {beneficiary.id for beneficiary in plan.to_create}
    return private(render("tasks/generate_preview.html", form=form, plan=plan))


@bp.route("/check-all/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_check_all():
    buildings = station_buildings()
    form = CheckAllForm()
    form.set_buildings(buildings)
    if request.method == "GET":
        form.set_default_window()
    plan = None
    if form.validate_on_submit():
        try:
            if form.apply.data and form.previewed.data is not None:
                batch = planning.check_all(
                    station_id=current_station_id(),
                    actor=current_user,
                    title=form.title.data,
                    selection=form.selected_filter(),
                    previewed_ids=form.previewed.data,
                    **form.window_and_kind(),
                )
                flash(_("Tasks created, one for each resident."), "success")
                return redirect(url_for("tasks.check_all", batch_id=batch.id))
            plan = planning.plan_check_all(
                current_station_id(), form.selected_filter(), form.window_and_kind()["kind"]
            )
            form.previewed.data = {beneficiary.id for beneficiary in plan.to_create}
        except RuleViolation as violation:
            violation.attach_to(form)
    return private(render("tasks/check_all_form.html", form=form, plan=plan, status=form_status(form)))


@bp.get("/check-all/<id:batch_id>")
@roles_required(*STAFF_ROLES)
def check_all(batch_id: int):
    batch = get_in_station_or_404(TaskBatch, batch_id)
    tasks = db.session.scalars(
        in_station(Task, Task.batch_id == batch.id)
        .join(Task.beneficiary)
        .join(Beneficiary.building)
        .options(with_resident(), joinedload(Task.assignee))
        .order_by(Building.sort_order, Beneficiary.unit, Beneficiary.room, Task.id)
    ).all()
    (progress,) = batch_progress([batch])
    return render(
        "tasks/check_all.html", block="results", batch=batch, tasks=tasks, progress=progress, now=utcnow()
    )


# Staff: one task ---------------------------------------------------------------------


def staff_page(task: Task, status: int = 200, message: str | None = None, reason_form=None):
    events = db.session.scalars(
        sa.select(TaskEvent)
        .where(TaskEvent.task_id == task.id)
        .options(joinedload(TaskEvent.actor), joinedload(TaskEvent.assignee))
        .order_by(TaskEvent.at, TaskEvent.id)
    ).all()
    record = task.visit_record
    context = dict(
        task=task,
        events=events,
        candidates=[] if task.is_final else dispatch.dispatch_candidates(task),
        reason_form=reason_form or ReasonForm(formdata=None),
        record=record,
        handle_forms=flag_forms([record] if record else []),
        message=message,
        now=utcnow(),
        card=log_contact_shown(current_user, [card_context(task)])[0]
        if task.is_held_by(current_user)
        else None,
    )
    return render("tasks/detail.html", block="panel", status=status, **context)


def staff_action(task: Task, action, success: str | None = None, reason_form=None):
    """Run a staff action on a task; answer with the task panel (htmx) or the page (PRG)."""
    try:
        action()
    except RuleViolation as violation:
        db.session.rollback()
        if reason_form is not None and violation.field:
            violation.attach_to(reason_form)
            return staff_page(task, status=422, reason_form=reason_form)
        return staff_page(task, status=409, message=violation.message)
    if success:
        flash(success, "success")
    if wants_fragment():
        return staff_page(task)
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.get("/<id:task_id>")
@roles_required(*STATION_ROLES)
def detail(task_id: int):
    task = visible_task_or_404(task_id)
    if current_user.is_staff:
        return staff_page(task)
    return volunteer_page(task)


@bp.post("/<id:task_id>/assign")
@roles_required(*STAFF_ROLES)
def assign(task_id: int):
    task = get_in_station_or_404(Task, task_id)
    assignee = station_member_or_404(request.form.get("assignee_id", type=parse_id))
    return staff_action(
        task,
        lambda: services.assign(task, assignee, current_user),
        _("Given to %(name)s.", name=assignee.display_name),
    )


@bp.post("/<id:task_id>/cancel")
@roles_required(*STAFF_ROLES)
def cancel(task_id: int):
    task = get_in_station_or_404(Task, task_id)
    form = ReasonForm()
    if not form.validate():
        return staff_page(task, status=422, reason_form=form)
    return staff_action(
        task, lambda: services.cancel(task, current_user, form.reason.data), _("Task cancelled."), form
    )


@bp.post("/<id:task_id>/reopen")
@roles_required(*STAFF_ROLES)
def reopen(task_id: int):
    task = get_in_station_or_404(Task, task_id)
    return staff_action(task, lambda: services.reopen(task, current_user), _("The task is open again."))


@bp.post("/<id:task_id>/open-to-claim")
@roles_required(*STAFF_ROLES)
def open_to_claim(task_id: int):
    task = get_in_station_or_404(Task, task_id)
    wanted = request.form.get("open_to_claim") == "1"
    return staff_action(task, lambda: services.set_open_to_claim(task, current_user, wanted))


@bp.post("/flags/<id:record_id>/handled")
@roles_required(*STAFF_ROLES)
def handle_flag(record_id: int):
    record = get_in_station_or_404(VisitRecord, record_id)
    form = HandleFlagForm(record.id)
    status = 422
    if form.validate():
        try:
            services.handle_flag(record, current_user, form.note.data)
        except RuleViolation as violation:
            violation.attach_to(form)
            status = 409
        else:
            flash(_("Marked as handled."), "success")
            if not wants_fragment():
                return redirect(url_for("tasks.dashboard"))
            status = 200
    if wants_fragment():
        return render("tasks/_flag.html", status=status, record=record, form=form)
    board = build_dashboard(current_station_id(), utcnow())
    forms = flag_forms(board.flagged) | {record.id: form}
    return render("tasks/dashboard.html", status=status, board=board, now=board.now, handle_forms=forms)


# The volunteer holding a task ---------------------------------------------------------


def volunteer_page(task: Task, status: int = 200, notices: list | None = None, **card):
    """The task card; with ``notices``, /me's notices too, out of band."""
    (context,) = log_contact_shown(current_user, [card_context(task, **card)])
    return render("tasks/mine.html", block="card", status=status, notices=notices, **context)


def volunteer_action(task: Task, action, success: str, **forms):
    """Run the volunteer's action; answer with the task card saying what happened (htmx), or go
    back to /me (PRG), to the card if the task is still there."""
    try:
        action()
    except RuleViolation as violation:
        db.session.rollback()
        form = next((form for form in forms.values() if violation.field in form), None)
        if form is not None:
            violation.attach_to(form)
            return volunteer_page(task, status=422, **forms)
        return volunteer_page(task, status=409, message=violation.message)
    if wants_fragment():
        flash(success, "announce")  # the card says it; the page's live region announces it
        # Answering a task puts away the notice that asked for it (scheduler.outbox.events).
        notices = unread_notices(current_user) if htmx_page_path() == url_for("me.home") else None
        return volunteer_page(task, feedback=success, notices=notices)
    if task.is_held_by(current_user):  # still on /me: back to its card, which says it
        tell_in_card(task_anchor(task), success)
        return redirect(url_for("me.home", _anchor=task_anchor(task)))
    flash(success, "success")
    return redirect(url_for("me.home"))


@bp.post("/<id:task_id>/accept")
@roles_required(*STATION_ROLES)
def accept(task_id: int):
    task = visible_task_or_404(task_id)
    return volunteer_action(
        task, lambda: services.accept(task, current_user), _("Accepted. Thank you for going!")
    )


@bp.post("/<id:task_id>/decline")
@roles_required(*STATION_ROLES)
def decline(task_id: int):
    task = visible_task_or_404(task_id)
    form = DeclineForm(task.id)
    if not form.validate():
        return volunteer_page(task, status=422, decline_form=form)
    return volunteer_action(
        task,
        lambda: services.decline(task, current_user, form.reason.data),
        _("The task is back with the station. Thank you for saying so."),
        decline_form=form,
    )


@bp.post("/<id:task_id>/done")
@roles_required(*STATION_ROLES)
def done(task_id: int):
    task = visible_task_or_404(task_id)
    form = DoneForm(task.id)
    if not form.validate():
        return volunteer_page(task, status=422, done_form=form)
    return volunteer_action(
        task,
        lambda: services.complete(task, current_user, form.checklist(), form.note.data, form.minutes.data),
        _("Visit recorded. Thank you!"),
        done_form=form,
    )


@bp.post("/<id:task_id>/claim")
@roles_required(*STATION_ROLES)
def claim(task_id: int):
    task = get_in_station_or_404(Task, task_id)
    if not task.open_to_claim:
        abort(404)
    # Offered to everyone, so a late claim learns that someone else was first (409), not a 404.
    return volunteer_action(task, lambda: services.claim(task, current_user), _("The task is yours."))
