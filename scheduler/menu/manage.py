"""Keeping the menu (admin and coordinator of the station): categories and services.

The board at ``/menu/`` is one htmx component for order and categories; each
service row is its own component for publishing and inline editing. Without
JavaScript every action is a plain form that redirects back to the board.
"""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from scheduler.access import current_station_id, get_in_station_or_404, in_station, roles_required
from scheduler.extensions import db
from scheduler.inputs import parse_id
from scheduler.menu.blueprint import bp
from scheduler.menu.forms import CategoryForm, ServiceForm
from scheduler.menu.services import (
    DOWN,
    UP,
    create_category,
    create_service,
    delete_category,
    move_category,
    move_service,
    rename_category,
    set_published,
    station_categories,
    update_service,
)
from scheduler.models import STAFF_ROLES, Service, ServiceCategory, ServiceRequest, Station
from scheduler.rendering import form_status, private, render, wants_fragment
from scheduler.requests.queries import rating_summary
from scheduler.rules import RuleViolation


def rename_form(category: ServiceCategory, formdata=None) -> CategoryForm:
    """Each category's rename form has its own field names, so errors land on the right one."""
    return CategoryForm(formdata=formdata, obj=category, prefix=f"category-{category.id}")


def render_board(status: int = 200, new_category_form=None, failed_rename=None, board_error: str = ""):
    categories = db.session.scalars(
        in_station(ServiceCategory)
        .options(selectinload(ServiceCategory.services))
        .order_by(ServiceCategory.sort_order, ServiceCategory.id)
    ).all()
    rename_forms = {category.id: rename_form(category) for category in categories}
    if failed_rename is not None:
        rename_forms[failed_rename[0]] = failed_rename[1]
    # Contacts' names and phones (masked, or whole in the form): no copy in any cache.
    return private(
        render(
            "menu/manage.html",
            block="board",
            status=status,
            station=db.session.get(Station, current_station_id()),
            categories=categories,
            ratings=rating_summary(current_station_id()),
            new_category_form=new_category_form or CategoryForm(formdata=None),
            rename_forms=rename_forms,
            failed_rename_id=failed_rename[0] if failed_rename else None,
            board_error=board_error,
        )
    )


def board_changed():
    """After a change: the board for htmx, a redirect back to it otherwise."""
    if wants_fragment():
        return render_board()
    return redirect(url_for("menu.manage"))


def requested_direction() -> str:
    return DOWN if request.form.get("direction") == DOWN else UP


@bp.get("/menu/")
@roles_required(*STAFF_ROLES)
def manage():
    return render_board()


# Categories -------------------------------------------------------------------------


@bp.post("/menu/categories")
@roles_required(*STAFF_ROLES)
def new_category():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = create_category(current_station_id(), form.name.data)
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Category %(name)s added.", name=category.name), "success")
            return board_changed()
    return render_board(status=form_status(form), new_category_form=form)


@bp.post("/menu/categories/<id:category_id>/rename")
@roles_required(*STAFF_ROLES)
def rename(category_id: int):
    category = get_in_station_or_404(ServiceCategory, category_id)
    form = rename_form(category, formdata=request.form)
    if form.validate_on_submit():
        try:
            rename_category(category, form.name.data)
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            return board_changed()
    return render_board(status=form_status(form), failed_rename=(category.id, form))


@bp.post("/menu/categories/<id:category_id>/move")
@roles_required(*STAFF_ROLES)
def move_category_route(category_id: int):
    move_category(get_in_station_or_404(ServiceCategory, category_id), requested_direction())
    return board_changed()


@bp.post("/menu/categories/<id:category_id>/delete")
@roles_required(*STAFF_ROLES)
def delete_category_route(category_id: int):
    category = get_in_station_or_404(ServiceCategory, category_id)
    try:
        delete_category(category)
    except RuleViolation as violation:
        return render_board(status=409, board_error=violation.message)
    flash(_("Category %(name)s removed.", name=category.name), "success")
    return board_changed()


# Services ---------------------------------------------------------------------------


def render_service(service: Service, block: str = "service_row"):
    ratings = rating_summary(service.station_id, ServiceRequest.service_id == service.id)
    return private(render("menu/manage_service.html", block=block, service=service, ratings=ratings))


def render_service_form(form: ServiceForm, service: Service | None):
    return private(
        render(
            "menu/service_form.html",
            block="service_form",
            form=form,
            service=service,
            inline=service is not None and wants_fragment(),
            status=form_status(form),
        )
    )


@bp.route("/menu/services/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_service():
    form = ServiceForm(station_categories(current_station_id()))
    if request.method == "GET" and (preset := request.args.get("category", type=parse_id)):
        form.category_id.data = preset
    if form.validate_on_submit():
        try:
            service = create_service(current_station_id(), current_user, **form.service_fields())
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Service %(title)s added.", title=service.title), "success")
            return redirect(url_for("menu.manage"))
    return render_service_form(form, None)


@bp.get("/menu/services/<id:service_id>")
@roles_required(*STAFF_ROLES)
def manage_service(service_id: int):
    return render_service(get_in_station_or_404(Service, service_id))


@bp.route("/menu/services/<id:service_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def edit_service(service_id: int):
    service = get_in_station_or_404(Service, service_id)
    form = ServiceForm(station_categories(service.station_id), obj=service)
    if request.method == "GET":
        form.contact_phone_public.show_recorded(service)
    if form.validate_on_submit():
        try:
            update_service(service, current_user, **form.service_fields())
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Service %(title)s saved.", title=service.title), "success")
            if form.consent_left_behind:
                flash(
                    _(
                        "The phone of %(name)s is not shown to residents: the consent on record was "
                        "given by the previous contact. Once %(name)s agrees, tick the box again.",
                        name=service.contact_name or service.contact_phone,
                    ),
                    "warning",
                )
            if wants_fragment():
                return render_service(service)
            return redirect(url_for("menu.manage"))
    return render_service_form(form, service)


@bp.post("/menu/services/<id:service_id>/publish")
@roles_required(*STAFF_ROLES)
def publish(service_id: int):
    return published_changed(set_published(get_in_station_or_404(Service, service_id), True))


@bp.post("/menu/services/<id:service_id>/unpublish")
@roles_required(*STAFF_ROLES)
def unpublish(service_id: int):
    return published_changed(set_published(get_in_station_or_404(Service, service_id), False))


def published_changed(service: Service):
    if wants_fragment():
        return render_service(service)
    return redirect(url_for("menu.manage"))


@bp.post("/menu/services/<id:service_id>/move")
@roles_required(*STAFF_ROLES)
def move_service_route(service_id: int):
    move_service(get_in_station_or_404(Service, service_id), requested_direction())
    return board_changed()
