"""A resident asks for a service (点单), then follows and rates it (评单) through a secret link.

No account: the follow-up link's unguessable token is the only key, and the page
behind it shows that one request and no one's personal data (a volunteer coming is
named by surname only, see ``visit_for_residents``).
"""

import logging
import re

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded

from scheduler.errors import render_error
from scheduler.extensions import db, limiter
from scheduler.forms import normalise_phone
from scheduler.menu.blueprint import bp
from scheduler.menu.routes import get_public_station_or_404, get_published_service_or_404
from scheduler.models import ServiceRequest, Station
from scheduler.rendering import form_status, private, render, wants_fragment
from scheduler.requests.forms import FindRequestForm, RatingForm, RequestForm
from scheduler.requests.queries import request_for_resident, visit_for_residents
from scheduler.requests.services import file_request, rate_request
from scheduler.rules import RuleViolation

log = logging.getLogger("scheduler.requests")

FOLLOW_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def request_phone_key() -> str:
    return "request-phone:" + normalise_phone(request.form.get("phone", ""))


def request_was_filed(response) -> bool:
    # Only a filed request counts against the phone's limit: typing mistakes do not.
    return response.status_code == 302


def load_requestable(slug: str, service_id: int):
    station = get_public_station_or_404(slug)
    service = get_published_service_or_404(station, service_id)
    return station, service


def render_request_form(station: Station, service, form: RequestForm, status: int):
    return private(
        render("menu/request_form.html", station=station, service=service, form=form, status=status)
    )


@bp.route("/s/<slug>/services/<id:service_id>/request", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REQUEST_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["REQUEST_LIMIT_PER_PHONE"],
    key_func=request_phone_key,
    methods=["POST"],
    deduct_when=request_was_filed,
)
def request_service(slug: str, service_id: int):
    station, service = load_requestable(slug, service_id)
    form = RequestForm(station.buildings)
    if form.validate_on_submit():
        if form.filled_by_a_bot:
            log.warning("service request refused: honeypot filled (station %s)", station.slug)
            form.website.data = ""
            form.form_errors.append(_("Your request could not be sent. Please call the station."))
            return render_request_form(station, service, form, status=400)
        try:
            service_request = file_request(service, **form.request_fields())
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Thank you, your request has been received."), "success")
            return redirect(url_for("menu.follow_up", token=service_request.follow_token))
    return render_request_form(station, service, form, status=form_status(form))


def lookup_reference_key() -> str:
    return "request-lookup:" + request.form.get("reference", "").strip().upper()


def lookup_failed(response) -> bool:
    # Only wrong answers count: a resident who finds her request may come back as often as she likes.
    return response.status_code != 302


def render_find_request(form: FindRequestForm, status: int):
    return private(render("menu/find_request.html", form=form, status=status))


@bp.route("/r", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOOKUP_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=lookup_failed
)
@limiter.limit(
    lambda: current_app.config["LOOKUP_LIMIT_PER_REFERENCE"],
    key_func=lookup_reference_key,
    methods=["POST"],
    deduct_when=lookup_failed,
)
def find_request():
    """A resident comes back to her request with its reference and the end of her phone number."""
    form = FindRequestForm()
    if form.validate_on_submit():
        service_request = request_for_resident(form.reference.data, form.phone_end.data)
        if service_request is not None:
            return redirect(url_for("menu.follow_up", token=service_request.follow_token))
        form.form_errors.append(
            _("No request matches this reference and phone number. Check both, or call the station.")
        )
        return render_find_request(form, status=422)
    return render_find_request(form, status=form_status(form))


@bp.errorhandler(RateLimitExceeded)
def request_limit_reached(error):
    """Too many requests: say so next to the form, keep what was typed, offer the phone."""
    if request.endpoint == "menu.find_request":
        form = FindRequestForm()
        form.form_errors.append(_("Too many tries from here or for this reference. Please try again later."))
        return render_find_request(form, status=429)
    if request.endpoint != "menu.request_service":
        return render_error(429)
    station, service = load_requestable(**request.view_args)
    form = RequestForm(station.buildings)
    message = _("Too many requests were sent from here. Please try again later.")
    if station.phone:
        message += " " + _("Or call the station: %(phone)s", phone=station.phone)
    form.form_errors.append(message)
    return render_request_form(station, service, form, status=429)


def get_request_by_token_or_404(token: str) -> ServiceRequest:
    # Whatever is not shaped like a token cannot be one: no need to ask the database.
    if not FOLLOW_TOKEN_SHAPE.fullmatch(token):
        abort(404)
    return db.first_or_404(sa.select(ServiceRequest).where(ServiceRequest.follow_token == token))


def render_follow_up(service_request: ServiceRequest, rating_form: RatingForm, status: int = 200):
    response = render(
        "menu/follow_up.html",
        block="rating",
        service_request=service_request,
        station=service_request.station,
        visit=visit_for_residents(service_request),
        rating_form=rating_form,
        status=status,
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return private(response)


@bp.get("/r/<token>")
def follow_up(token: str):
    service_request = get_request_by_token_or_404(token)
    return render_follow_up(service_request, RatingForm())


@bp.post("/r/<token>/rating")
def rate(token: str):
    service_request = get_request_by_token_or_404(token)
    form = RatingForm()
    if form.validate_on_submit():
        try:
            rate_request(service_request, form.rating.data, form.comment.data or "")
        except RuleViolation as violation:
            violation.attach_to(form)
            return render_follow_up(service_request, form, status=409)
        flash(_("Thank you for your rating."), "success")
        if wants_fragment():
            return render_follow_up(service_request, RatingForm())
        return redirect(url_for("menu.follow_up", token=token))
    return render_follow_up(service_request, form, status=form_status(form))
