"""The public board and an A4 sheet of it, and the consent pages behind it (the person's, the secretary's)."""

from datetime import timedelta

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.access import get_in_station_or_404, roles_required
from scheduler.board.blueprint import bp
from scheduler.board.forms import consent_form
from scheduler.board.queries import buildings_with_heads, duty_roster, listed_people, month_figures
from scheduler.board.services import board_listing, consent_history, set_board_consent
from scheduler.menu.services import get_public_station_or_404, public_scope_or_404
from scheduler.models import STATION_ROLES, Role, User
from scheduler.public_cache import Built, serve_public
from scheduler.rendering import form_status, htmx_page_path, private, render, wants_fragment
from scheduler.rules import RuleViolation
from scheduler.shifts.weeks import local_today, month_bounds, week_bounds, week_start


def _board(slug: str) -> Built:
    station = get_public_station_or_404(slug)
    today = local_today()
    monday = week_start(today)
    people = listed_people(station.id)
    response = render(
        "board/board.html",
        station=station,
        buildings=buildings_with_heads(station.id, people),
        people=people,
        roster=duty_roster(station.id, monday),
        monday=monday,
        sunday=monday + timedelta(days=6),
        month=today.replace(day=1),
        figures=month_figures(station.id, today),
    )
    # A new week brings a new roster, a new month new figures.
    return Built(response, good_until=min(week_bounds(monday)[1], month_bounds(today)[1]))


@bp.get("/s/<slug>/board")
def board(slug: str):
    """The board residents open from the menu or the poster; printed on A4 for the wall."""
    return serve_public(public_scope_or_404(slug), lambda: _board(slug))


@bp.route("/me/board", methods=["GET", "POST"])
@roles_required(*STATION_ROLES)
def my_consent():
    return consent_page(current_user)


@bp.route("/people/<id:user_id>/board", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def account_consent(user_id: int):
    return consent_page(get_in_station_or_404(User, user_id))


def consent_page(person: User):
    form = consent_form(person, current_user, request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        try:
            changed = set_board_consent(
                person, by=current_user, listed=form.listed.data, show_phone=form.show_phone.data
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            if changed:
                flash(_("Saved. The public board shows it now."), "success")
            if not wants_fragment():
                return redirect(request.path)
            form = consent_form(person, current_user)  # as saved, for the form htmx swaps in
    return private(
        render(
            "board/consent.html",
            block="consent_form",
            form=form,
            person=person,
            self_consent=person.id == current_user.id,
            listing=board_listing(person),
            fragment=wants_fragment(),
            # The record of consent is on this page, not on /me, which holds the same form.
            history_shown=htmx_page_path() == request.path,
            history=consent_history(person),
            status=form_status(form),
        )
    )
