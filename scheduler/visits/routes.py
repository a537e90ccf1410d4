"""The beneficiaries register (staff only) and the access log (admins).

Every page here shows residents' personal data: responses are marked no-store and
URLs carry ids and flags only.
"""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from scheduler.access import current_station_id, get_in_station_or_404, in_station, roles_required
from scheduler.database import utcnow, writes_on_get
from scheduler.extensions import db
from scheduler.models import STAFF_ROLES, Beneficiary, BeneficiaryAccess, Building, Role, Task, User
from scheduler.pagination import paginate
from scheduler.people.services import station_buildings
from scheduler.rendering import form_status, render
from scheduler.rules import RuleViolation
from scheduler.visits.blueprint import bp
from scheduler.visits.forms import (
    AccessLogFilterForm,
    BeneficiaryForm,
    EditBeneficiaryForm,
    RegisterFilterForm,
)
from scheduler.visits.privacy import shows_personal_data
from scheduler.visits.services import access_log_query, record_access, save_beneficiary

PAGE_SIZE = 50
RECENT_TASKS = 20


@bp.get("/")
@roles_required(*STAFF_ROLES)
def beneficiaries():
    shows_personal_data()
    form = RegisterFilterForm(request.args)
    form.set_buildings(station_buildings())
    now = utcnow()
    page = paginate(
        in_station(Beneficiary, *form.criteria(now))
        .join(Beneficiary.building)
        .options(contains_eager(Beneficiary.building))
        .order_by(Beneficiary.active.desc(), Building.sort_order, Beneficiary.unit, Beneficiary.room),
        PAGE_SIZE,
    )
    return render("visits/beneficiaries.html", block="results", form=form, page=page, now=now)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_beneficiary():
    shows_personal_data()
    form = BeneficiaryForm(station_buildings())
    if form.validate_on_submit():
        try:
            beneficiary = save_beneficiary(
                None, station_id=current_station_id(), editor=current_user, **form.fields_for_service()
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("%(name)s is registered.", name=beneficiary.name), "success")
            return redirect(url_for("visits.record", beneficiary_id=beneficiary.id))
    return render("visits/beneficiary_form.html", form=form, beneficiary=None, status=form_status(form))


@bp.get("/<id:beneficiary_id>")
@roles_required(*STAFF_ROLES)
@writes_on_get  # every view of a full record is logged
def record(beneficiary_id: int):
    beneficiary = get_in_station_or_404(Beneficiary, beneficiary_id)
    shows_personal_data()
    record_access(beneficiary, current_user)
    tasks = db.session.scalars(
        in_station(Task, Task.beneficiary_id == beneficiary.id)
        .options(selectinload(Task.assignee))
        .order_by(Task.starts_at.desc())
        .limit(RECENT_TASKS)
    ).all()
    return render("visits/record.html", beneficiary=beneficiary, tasks=tasks, now=utcnow())


@bp.route("/<id:beneficiary_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@writes_on_get  # the edit form shows the whole record: its view is logged too
def edit_beneficiary(beneficiary_id: int):
    beneficiary = get_in_station_or_404(Beneficiary, beneficiary_id)
    shows_personal_data()
    form = EditBeneficiaryForm(station_buildings(), obj=beneficiary)
    if request.method == "GET":
        # The edit form shows the whole record: it is a view like any other.
        record_access(beneficiary, current_user)
        if request.args.get("into_care"):  # "Add to the care register": saving is the step
            form.active.data = True
    if form.validate_on_submit():
        try:
            save_beneficiary(
                beneficiary,
                station_id=beneficiary.station_id,
                editor=current_user,
                **form.fields_for_service(),
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("%(name)s is saved.", name=beneficiary.name), "success")
            return redirect(url_for("visits.record", beneficiary_id=beneficiary.id))
    return render(
        "visits/beneficiary_form.html", form=form, beneficiary=beneficiary, status=form_status(form)
    )


@bp.get("/access-log")
@roles_required(Role.ADMIN)
def access_log():
    shows_personal_data()
    beneficiaries = db.session.scalars(in_station(Beneficiary).order_by(Beneficiary.name)).all()
    users = db.session.scalars(in_station(User).order_by(User.display_name)).all()
    form = AccessLogFilterForm(request.args, beneficiaries, users)
    page = paginate(
        access_log_query(current_station_id(), form.beneficiary_id.data, form.user_id.data).options(
            joinedload(BeneficiaryAccess.user), joinedload(BeneficiaryAccess.beneficiary)
        ),
        PAGE_SIZE,
    )
    return render("visits/access_log.html", block="results", form=form, page=page)
