"""The request inbox of a station's staff, requests filed for residents without a phone, and
turning a request into a home-visit task."""

from urllib.parse import parse_qsl, urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from scheduler.access import current_station_id, get_in_station_or_404, in_station, roles_required
from scheduler.auth.routes import safe_next_url
from scheduler.extensions import db
from scheduler.forms import search_words
from scheduler.inputs import parse_id
from scheduler.menu.services import station_services
from scheduler.models import STAFF_ROLES, RequestState, Role, Service, ServiceRequest
from scheduler.pagination import paginate
from scheduler.people.services import station_buildings
from scheduler.rendering import form_status, private, render, wants_fragment
from scheduler.requests.blueprint import bp
from scheduler.requests.forms import DeclineForm, ProxyRequestForm
from scheduler.requests.queries import InboxFilter, inbox_query, ratings_by_service, state_counts
from scheduler.requests.services import (
    accept_request,
    decline_request,
    file_request,
    mark_done,
    may_file_for_residents,
    task_from_request,
)
from scheduler.rules import RuleViolation
from scheduler.tasks.dispatch import candidates_for
from scheduler.tasks.forms import TaskFromRequestForm

PER_PAGE = 30


def decline_form_for(service_request: ServiceRequest, formdata=None) -> DeclineForm:
    """Field names of their own per request: the inbox shows many of these forms at once."""
    return DeclineForm(formdata=formdata, prefix=f"decline-{service_request.id}")


def task_form_for(service_request: ServiceRequest, formdata=None) -> TaskFromRequestForm | None:
    """The "make it a task" form: prefilled from the request, None once it may not become one."""
    if formdata is None and not service_request.may_become_task:
        return None
    form = TaskFromRequestForm(formdata=formdata)
    if formdata is None:
        form.prefill(service_request)
    form.set_candidates(
        candidates_for(
            service_request.station_id, service_request.building_id, *form.window_in_utc(service_request)
        ),
        service_request.building.name,
    )
    return form


def inbox_filter_from(args) -> InboxFilter:
    """The inbox's filters from a query string; new requests unless another state is asked for."""
    try:
        state = RequestState(args.get("state", RequestState.NEW.value))
    except ValueError:  # "all", or a state that does not exist
        state = None
    return InboxFilter(
        state=state,
        service_id=args.get("service", type=parse_id),
        building_id=args.get("building", type=parse_id),
        search=search_words(args.get("q", ""), 40),
    )


def return_address() -> str | None:
    """Where a plain form goes back to: the inbox page it came from, or None."""
    return safe_next_url(request.form.get("next"))


@bp.get("")
@roles_required(*STAFF_ROLES)
def inbox():
    inbox_filter = inbox_filter_from(request.args)
    page = paginate(inbox_query(current_station_id(), inbox_filter), PER_PAGE)
    return private(
        render(
            "requests/inbox.html",
            block="results",
            page=page,
            inbox_filter=inbox_filter,
            counts=state_counts(current_station_id(), inbox_filter),
            decline_forms={item.id: decline_form_for(item) for item in page.items},
            services=station_services(),
            buildings=station_buildings(),
        )
    )


@bp.get("/<id:request_id>")
@roles_required(*STAFF_ROLES)
def detail(request_id: int):
    service_request = get_in_station_or_404(ServiceRequest, request_id)
    return render_detail(service_request)


def render_detail(
    service_request: ServiceRequest, decline_form=None, task_form=None, status: int = 200, error: str = ""
):
    return private(
        render(
            "requests/detail.html",
            status=status,
            service_request=service_request,
            decline_form=decline_form or decline_form_for(service_request),
            task_form=task_form or task_form_for(service_request),
            error=error,
        )
    )


def state_changed(
    service_request: ServiceRequest, decline_form=None, task_form=None, status: int = 200, error: str = ""
):
    """htmx: the request's state panel, with the inbox counts out of band. Plain: back.

    The panel on the request's own page carries the "make it a task" form; in the inbox
    (where the action came from when there is a return address) it links to that page.
    """
    if not wants_fragment():
        if status != 200:
            return render_detail(service_request, decline_form, task_form, status=status, error=error)
        return redirect(return_address() or url_for("requests.detail", request_id=service_request.id))
    on_detail_page = return_address() is None
    response = render(
        "requests/detail.html",
        block="state",
        status=status,
        service_request=service_request,
        decline_form=decline_form or decline_form_for(service_request),
        task_form=(task_form or task_form_for(service_request)) if on_detail_page else None,
        error=error,
        next_url=return_address() or "",
    )
    if on_detail_page:  # the request's own page has no counts to refresh
        return private(response)
    # The counts follow the filters of the inbox page the action came from.
    inbox_args = MultiDict(parse_qsl(urlsplit(return_address() or "").query))
    inbox_filter = inbox_filter_from(inbox_args)
    counts = state_counts(current_station_id(), inbox_filter)
    response.set_data(
        response.get_data(as_text=True)
        + render_template("requests/_counts.html", counts=counts, inbox_filter=inbox_filter, out_of_band=True)
    )
    return private(response)


def act(request_id: int, action):
    service_request = get_in_station_or_404(ServiceRequest, request_id)
    try:
        action(service_request)
    except RuleViolation as violation:
        return state_changed(service_request, status=409, error=violation.message)
    return state_changed(service_request)


@bp.post("/<id:request_id>/accept")
@roles_required(*STAFF_ROLES)
def accept(request_id: int):
    return act(request_id, lambda service_request: accept_request(service_request, current_user))


@bp.post("/<id:request_id>/done")
@roles_required(*STAFF_ROLES)
def done(request_id: int):
    return act(request_id, lambda service_request: mark_done(service_request, current_user))


@bp.post("/<id:request_id>/decline")
@roles_required(*STAFF_ROLES)
def decline(request_id: int):
    service_request = get_in_station_or_404(ServiceRequest, request_id)
    form = decline_form_for(service_request, formdata=request.form)
    if form.validate_on_submit():
        try:
            decline_request(service_request, form.reason.data, current_user)
        except RuleViolation as violation:
            violation.attach_to(form)
            return state_changed(service_request, form, status=409, error=violation.message)
        return state_changed(service_request)
    return state_changed(service_request, form, status=form_status(form))


@bp.post("/<id:request_id>/task")
@roles_required(*STAFF_ROLES)
def make_task(request_id: int):
    """The request becomes a task in one step; a second try, or a closed request, is a 409."""
    service_request = get_in_station_or_404(ServiceRequest, request_id)
    form = task_form_for(service_request, formdata=request.form)
    if request.form.get("refresh"):
        # "Who is free then?": the form as typed, offering the people free in the window typed.
        answer = state_changed if wants_fragment() else render_detail
        return answer(service_request, task_form=form)
    if not form.validate_on_submit():
        return state_changed(service_request, task_form=form, status=form_status(form))
    try:
        task_from_request(
            service_request,
            created_by=current_user,
            assignee_id=form.assignee_id.data,
            **form.task_fields(),
        )
    except RuleViolation as violation:
        if violation.field in form:
            violation.attach_to(form)
            return state_changed(service_request, task_form=form, status=422)
        return state_changed(service_request, status=409, error=violation.message)
    flash(_("The request is now a task."), "success")
    return state_changed(service_request)


@bp.get("/ratings")
@roles_required(*STAFF_ROLES)
def ratings():
    return render("requests/ratings.html", ratings=ratings_by_service(current_station_id()))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.COORDINATOR, Role.VOLUNTEER)
def new_for_resident():
    """A building head or coordinator files a request for a resident without a phone."""
    if not may_file_for_residents(current_user):
        abort(403)
    services = list(
        db.session.scalars(
            in_station(Service, Service.published, Service.requestable)
            .options(selectinload(Service.category))
            .order_by(Service.title)
        )
    )
    form = ProxyRequestForm(services, station_buildings())
    if request.method == "GET":
        form.service_id.data = request.args.get("service", type=parse_id)
        form.building_id.data = current_user.building_id
    if form.validate_on_submit():
        service = next(s for s in services if s.id == form.service_id.data)
        try:
            service_request = file_request(service, filed_by=current_user, **form.request_fields())
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("The request is filed. Give the resident its reference."), "success")
            return redirect(url_for("menu.follow_up", token=service_request.follow_token))
    return private(render("requests/new.html", form=form, status=form_status(form)))
