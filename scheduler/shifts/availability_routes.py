"""Availability pages: a person sets their own; staff set it, and tags, for people without a smartphone."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.access import get_in_station_or_404, roles_required
from scheduler.models import STAFF_ROLES, STATION_ROLES, DateAway, User
from scheduler.rendering import form_status, private, render
from scheduler.rules import RuleViolation
from scheduler.shifts import availability
from scheduler.shifts.blueprint import bp
from scheduler.shifts.forms import AvailabilityForm, DateAwayForm, TagsForm
from scheduler.shifts.weeks import local_today


def person_of(user_id: int) -> User:
    """A person of the staff member's station, or 404."""
    return get_in_station_or_404(User, user_id)


def page_url(person: User) -> str:
    if person.id == current_user.id:
        return url_for("shifts.my_availability")
    return url_for("shifts.person_availability", user_id=person.id)


def availability_page(person: User, form=None, away_form=None, tags_form=None, status: int = 200):
    said = availability.availability_of(person)
    if form is None:
        form = AvailabilityForm()
        if said is not None:
            form.slots.data = [index for index in range(21) if said.slots & (1 << index)]
            form.max_per_week.data = said.max_per_week
    if tags_form is None and current_user.is_staff:
        tags_form = TagsForm(tags=" ".join(tag.name for tag in availability.tags_of(person)))
    return private(
        render(
            "shifts/availability.html",
            person=person,
            form=form,
            away_form=away_form or DateAwayForm(),
            tags_form=tags_form,
            said=said,
            away=availability.dates_away_of(person, local_today()),
            action=page_url(person),
            status=status,
        )
    )


def save(person: User):
    form = AvailabilityForm()
    if form.validate_on_submit():
        try:
            availability.save_availability(person, form.slot_bits(), form.max_per_week.data)
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Saved. The secretary sees it when planning."), "success")
            return redirect(page_url(person))
    return availability_page(person, form=form, status=form_status(form))


@bp.route("/availability", methods=["GET", "POST"])
@roles_required(*STATION_ROLES)
def my_availability():
    return save(current_user) if request.method == "POST" else availability_page(current_user)


@bp.route("/people/<id:user_id>/availability", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def person_availability(user_id: int):
    person = person_of(user_id)
    return save(person) if request.method == "POST" else availability_page(person)


def add_away(person: User):
    form = DateAwayForm()
    if form.validate_on_submit():
        try:
            availability.add_date_away(person, form.first_day.data, form.last_day.data, form.note.data or "")
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Dates away saved; nobody will put you on shifts then."), "success")
            return redirect(page_url(person))
    return availability_page(person, away_form=form, status=form_status(form))


@bp.post("/availability/away")
@roles_required(*STATION_ROLES)
def my_away():
    return add_away(current_user)


@bp.post("/people/<id:user_id>/availability/away")
@roles_required(*STAFF_ROLES)
def person_away(user_id: int):
    return add_away(person_of(user_id))


@bp.post("/away/<id:away_id>/remove")
@roles_required(*STATION_ROLES)
def remove_away(away_id: int):
    away = get_in_station_or_404(DateAway, away_id)
    if away.user_id != current_user.id and not current_user.is_staff:
        abort(404)
    person = away.user
    availability.remove_date_away(person, away.id)
    flash(_("Dates away removed."), "success")
    return redirect(page_url(person))


@bp.post("/people/<id:user_id>/tags")
@roles_required(*STAFF_ROLES)
def person_tags(user_id: int):
    person = person_of(user_id)
    form = TagsForm()
    if form.validate_on_submit():
        try:
            availability.set_tags(person, form.names())
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            flash(_("Tags saved."), "success")
            return redirect(page_url(person))
    return availability_page(person, tags_form=form, status=form_status(form))
