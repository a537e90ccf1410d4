"""Staff accounts of a station (admin) and stations of a street office (superadmin)."""

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from scheduler.access import current_station_id, get_in_station_or_404, in_station, roles_required
from scheduler.extensions import db
from scheduler.models import Kind, Role, Station, User
from scheduler.outbox.queries import station_channels_context
from scheduler.people.blueprint import bp
from scheduler.people.forms import AccountFilterForm, AccountForm, NewStationForm, StationForm
from scheduler.people.services import (
    account_filter,
    create_account,
    create_station,
    station_buildings,
    update_account,
    update_station,
)
from scheduler.rendering import form_status, render
from scheduler.rules import RuleViolation

STATION_ACCOUNT_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.VOLUNTEER)


def account_fields(form: AccountForm) -> dict:
    return dict(
        username=form.username.data,
        display_name=form.display_name.data,
        role=Role(form.role.data),
        phone=form.phone.data or "",
        kind=Kind(form.kind.data) if form.kind.data else None,
        building_id=form.building_id.data,
        active=form.active.data,
    )


@bp.get("/")
@roles_required(Role.ADMIN)
def accounts():
    filters = AccountFilterForm(request.args)
    filters.validate()
    query = account_filter(in_station(User), filters.q.data or "", filters.kind.data or "")
    users = db.session.scalars(
        query.options(selectinload(User.building)).order_by(User.active.desc(), User.role, User.display_name)
    ).all()
    return render("people/accounts.html", block="results", users=users, filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_account():
    form = AccountForm(station_buildings())
    form.require_password()
    if form.validate_on_submit():
        try:
            user = create_account(
                station_id=current_station_id(), password=form.password.data, **account_fields(form)
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Account %(name)s created.", name=user.display_name), "success")
            return redirect(url_for("people.accounts"))
    return render("people/account_form.html", form=form, user=None, status=form_status(form))


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_account(user_id: int):
    user = get_in_station_or_404(User, user_id)
    form = AccountForm(station_buildings(), obj=user)
    if form.validate_on_submit():
        try:
            update_account(
                user, editor=current_user, new_password=form.password.data or None, **account_fields(form)
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Account %(name)s saved.", name=user.display_name), "success")
            return redirect(url_for("people.accounts"))
    return render("people/account_form.html", form=form, user=user, status=form_status(form))


@bp.get("/stations")
@roles_required(Role.SUPERADMIN)
def stations():
    all_stations = db.session.scalars(sa.select(Station).order_by(Station.name)).all()
    admins = db.session.scalars(
        sa.select(User).where(User.role == Role.ADMIN).order_by(User.display_name)
    ).all()
    admins_by_station: dict[int, list[User]] = {}
    for admin in admins:
        admins_by_station.setdefault(admin.station_id, []).append(admin)
    return render("people/stations.html", stations=all_stations, admins_by_station=admins_by_station)


def form_fields(form) -> dict:
    return {name: value for name, value in form.data.items() if name != "csrf_token"}


@bp.route("/stations/new", methods=["GET", "POST"])
@roles_required(Role.SUPERADMIN)
def new_station():
    form = NewStationForm()
    if form.validate_on_submit():
        try:
            station = create_station(**form_fields(form))
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Station %(name)s created.", name=station.name), "success")
            return redirect(url_for("people.stations"))
    return render("people/station_form.html", form=form, station=None, status=form_status(form))


@bp.route("/stations/<int:station_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SUPERADMIN)
def edit_station(station_id: int):
    return station_settings(db.get_or_404(Station, station_id), url_for("people.stations"))


@bp.route("/station", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def my_station():
    """The branch secretary keeps their own station's public details."""
    station = db.get_or_404(Station, current_station_id())
    return station_settings(station, url_for("people.accounts"), **station_channels_context(station))


def station_settings(station: Station, done_url: str, **extra):
    form = StationForm(obj=station)
    if form.validate_on_submit():
        try:
            update_station(station, **form_fields(form))
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Station %(name)s saved.", name=station.name), "success")
            return redirect(done_url)
    return render("people/station_form.html", form=form, station=station, status=form_status(form), **extra)


@bp.route("/stations/<int:station_id>/admins/new", methods=["GET", "POST"])
@roles_required(Role.SUPERADMIN)
def new_station_admin(station_id: int):
    station = db.get_or_404(Station, station_id)
    form = AccountForm(station.buildings, roles=(Role.ADMIN,))
    form.require_password()
    if form.validate_on_submit():
        try:
            create_account(station_id=station.id, password=form.password.data, **account_fields(form))
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Administrator added to %(name)s.", name=station.name), "success")
            return redirect(url_for("people.stations"))
    return render("people/account_form.html", form=form, user=None, station=station, status=form_status(form))
