"""Staff accounts of a station (admin) and stations of a street office (superadmin)."""

import segno
import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from scheduler.access import current_station_id, get_in_station_or_404, in_station, roles_required
from scheduler.confirmation import asks_first
from scheduler.extensions import db
from scheduler.forms import status_criteria
from scheduler.models import Role, Station, User
from scheduler.outbox.queries import station_channels_context
from scheduler.people.blueprint import bp
from scheduler.people.forms import (
    AccountFilterForm,
    AccountForm,
    AdminStatusForm,
    EditAccountForm,
    NewStationForm,
    StationForm,
)
from scheduler.people.invitations import open_invitation, open_invitations_by_user, revoke_invitation
from scheduler.people.services import (
    account_filter,
    create_invited_account,
    create_station,
    reissue_invitation,
    station_buildings,
    update_account,
    update_station,
)
from scheduler.rendering import form_status, private, render
from scheduler.rules import RuleViolation

STATION_ACCOUNT_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.VOLUNTEER)


def account_fields(form: AccountForm) -> dict:
    return dict(
        username=form.username.data,
        display_name=form.display_name.data,
        role=form.role.data,
        phone=form.phone.data or "",
        kind=form.kind.data,
        building_id=form.building_id.data,
    )


def invitation_slip(user: User, link: str):
    """The link and its QR code, shown this once: the token is stored nowhere else."""
    # segno escapes the title it writes into the SVG, so the markup is safe to embed.
    qr_svg = Markup(segno.make(link, error="m").svg_inline(scale=8, omitsize=True, title=user.display_name))
    invitation = open_invitation(user)
    return private(
        render("people/invitation_slip.html", person=user, link=link, qr_svg=qr_svg, invitation=invitation)
    )


@bp.get("/")
@roles_required(Role.ADMIN)
def accounts():
    filters = AccountFilterForm(request.args)
    filters.validate()
    query = account_filter(
        in_station(User), filters.q.data or "", filters.kind.data, filters.status.data or ""
    )
    users = db.session.scalars(
        query.options(selectinload(User.building)).order_by(User.active.desc(), User.role, User.display_name)
    ).all()
    invitations = open_invitations_by_user(user.id for user in users)
    return private(
        render("people/accounts.html", block="results", users=users, filters=filters, invitations=invitations)
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_account():
    form = AccountForm(station_buildings())
    if form.validate_on_submit():
        try:
            user, link = create_invited_account(
                issued_by=current_user, station_id=current_station_id(), **account_fields(form)
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Account %(name)s created.", name=user.display_name), "success")
            return invitation_slip(user, link)
    return render("people/account_form.html", form=form, user=None, status=form_status(form))


def switch_off_question(user_id: int) -> str | None:
    """Asked only when the post switches an active account off; other edits go straight through."""
    user = get_in_station_or_404(User, user_id)
    if request.method != "POST" or not user.active or request.form.get("active"):
        return None
    return _("Switch off the account of %(name)s? They are signed out at once.", name=user.display_name)


@bp.route("/<id:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@asks_first(switch_off_question)
def edit_account(user_id: int):
    user = get_in_station_or_404(User, user_id)
    form = EditAccountForm(station_buildings(), obj=user)
    if form.validate_on_submit():
        try:
            update_account(user, editor=current_user, active=form.active.data, **account_fields(form))
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Account %(name)s saved.", name=user.display_name), "success")
            return redirect(url_for("people.accounts"))
    return private(
        render(
            "people/account_form.html",
            form=form,
            user=user,
            invitation=open_invitation(user),
            status=form_status(form),
        )
    )


@bp.get("/stations")
@roles_required(Role.SUPERADMIN)
def stations():
    filters = AdminStatusForm(request.args)
    all_stations = db.session.scalars(sa.select(Station).order_by(Station.name)).all()
    admins = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.ADMIN, *status_criteria(User.active, filters.status.data))
        .order_by(User.active.desc(), User.display_name)
    ).all()
    admins_by_station: dict[int, list[User]] = {}
    for admin in admins:
        admins_by_station.setdefault(admin.station_id, []).append(admin)
    return private(
        render(
            "people/stations.html",
            stations=all_stations,
            admins_by_station=admins_by_station,
            invitations=open_invitations_by_user(admin.id for admin in admins),
            filters=filters,
        )
    )


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


@bp.route("/stations/<id:station_id>/edit", methods=["GET", "POST"])
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


@bp.route("/stations/<id:station_id>/admins/new", methods=["GET", "POST"])
@roles_required(Role.SUPERADMIN)
def new_station_admin(station_id: int):
    station = db.get_or_404(Station, station_id)
    form = AccountForm(station.buildings, roles=(Role.ADMIN,))
    if form.validate_on_submit():
        try:
            user, link = create_invited_account(
                issued_by=current_user, station_id=station.id, **account_fields(form)
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Administrator added to %(name)s.", name=station.name), "success")
            return invitation_slip(user, link)
    return render("people/account_form.html", form=form, user=None, station=station, status=form_status(form))


def kept_account_or_404(user_id: int) -> User:
    """An account the signed-in person keeps: their station's (admin) or a station admin (superadmin)."""
    if current_user.role == Role.SUPERADMIN:
        user = db.session.get(User, user_id)
        if user is None or user.role != Role.ADMIN:
            abort(404)
        return user
    return get_in_station_or_404(User, user_id)


def accounts_page() -> str:
    return url_for("people.stations") if current_user.role == Role.SUPERADMIN else url_for("people.accounts")


@bp.post("/<id:user_id>/invitation")
@roles_required(Role.ADMIN, Role.SUPERADMIN)
def new_invitation(user_id: int):
    """A fresh set-password link for someone who forgot their password; the older one stops working."""
    user = kept_account_or_404(user_id)
    try:
        link = reissue_invitation(user, issued_by=current_user)
    except RuleViolation as violation:
        flash(violation.message, "error")
        return redirect(accounts_page())
    return invitation_slip(user, link)


def revoke_question(user_id: int) -> str:
    user = kept_account_or_404(user_id)
    return _("Withdraw the link of %(name)s? It stops working at once.", name=user.display_name)


@bp.post("/<id:user_id>/invitation/revoke")
@roles_required(Role.ADMIN, Role.SUPERADMIN)
@asks_first(revoke_question)
def revoke(user_id: int):
    user = kept_account_or_404(user_id)
    if revoke_invitation(user):
        flash(_("The link of %(name)s no longer works.", name=user.display_name), "success")
    return redirect(accounts_page())
