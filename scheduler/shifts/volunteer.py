"""A person's own shifts from their phone: answer, sign up, wait, withdraw, swap; their calendar feed.

Every action here answers an htmx request with the "my shifts" section of /me
re-rendered, the outcome in the card of the shift acted on (409 with the message there
when a rule refuses), and a plain form post with a redirect back to that card on /me.
"""

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.access import get_in_station_or_404, roles_required
from scheduler.calendar_feed import build_calendar, renew_calendar_feed
from scheduler.extensions import db
from scheduler.feedback import take_card_feedback, tell_in_card
from scheduler.models import STATION_ROLES, Assignment, CalendarFeed, Shift
from scheduler.rendering import form_status, render, wants_fragment
from scheduler.rules import RuleViolation
from scheduler.shifts import services
from scheduler.shifts.blueprint import bp
from scheduler.shifts.forms import DeclineForm
from scheduler.shifts.home import my_shifts

SECTION = "shifts/_home_section.html"


def feed_url(feed: CalendarFeed | None) -> str | None:
    """The absolute address calendar apps subscribe to (BASE_URL: the proxy may hide the host)."""
    if feed is None:
        return None
    return current_app.config["BASE_URL"] + url_for("shifts.feed", token=feed.token)


def decline_form(assignment_id: int, submitted: bool = False) -> DeclineForm:
    """One decline form per assignment on the page, its fields named apart by a prefix."""
    prefix = f"decline-{assignment_id}"
    return DeclineForm(prefix=prefix) if submitted else DeclineForm(formdata=None, prefix=prefix)


def my_shift_anchor(shift_id: int) -> str:
    return f"my-shift-{shift_id}"


def home_section_context(user) -> dict:
    return {
        "my": my_shifts(user),
        "feed_url": feed_url,
        "new_decline_form": decline_form,
        "problem": None,
        "open_decline": None,
        "feedback": take_card_feedback(),
    }


def answer(
    shift_id: int | None,
    done: str | None = None,
    violation: RuleViolation | None = None,
    open_decline: tuple[int, DeclineForm] | None = None,
    status: int = 200,
):
    """The section re-rendered for htmx (409 on a refusal), else back to /me at the shift's card.

    What happened shows in the card of the shift acted on, wherever that card now is (signing
    up moves it from the open shifts to mine), and htmx scrolls that card into view; the flash
    region, hidden from sight then, announces it. A shift no longer on the page is told about
    at the top. ``open_decline`` is (assignment id, submitted form): that decline box shows
    open with its errors.
    """
    if not wants_fragment():
        return answer_without_javascript(shift_id, done, violation)
    context = home_section_context(current_user)
    context["open_decline"] = open_decline
    on_the_page = shift_id in context["my"].shown_shift_ids
    if violation is not None:
        status = 409
        if on_the_page:
            context["problem"] = {"shift_id": shift_id, "message": violation.message}
        else:  # the shift left the page (e.g. it was cancelled): say it at the top
            flash(violation.message, "error")
    elif done:
        if on_the_page:
            context["feedback"] = {"anchor": my_shift_anchor(shift_id), "message": done}
        flash(done, "announce" if on_the_page else "success")
    response = render(SECTION, block="my_shifts", status=status, **context)
    if on_the_page:
        response.headers["HX-Reswap"] = f"outerHTML show:#{my_shift_anchor(shift_id)}:top"
    return response


def answer_without_javascript(shift_id: int | None, done: str | None, violation: RuleViolation | None):
    if violation is not None:
        flash(violation.message, "error")
    elif done and shift_id is not None:
        tell_in_card(my_shift_anchor(shift_id), done)
        return redirect(url_for("me.home", _anchor=my_shift_anchor(shift_id)))
    elif done:
        flash(done, "success")
    return redirect(url_for("me.home", _anchor="my-shifts"))


def own_assignment_or_404(assignment_id: int) -> Assignment:
    """Another person's assignment does not exist, as far as this person can tell."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.user_id != current_user.id:
        abort(404)
    return assignment


def act_on_assignment(assignment_id: int, action, done: str):
    assignment = own_assignment_or_404(assignment_id)
    shift_id = assignment.shift_id
    try:
        action(assignment.id, current_user)
    except RuleViolation as violation:
        return answer(shift_id, violation=violation)
    return answer(shift_id, done)


def act_on_shift(shift_id: int, action, done: str):
    shift = get_in_station_or_404(Shift, shift_id)
    try:
        action(shift.id, current_user)
    except RuleViolation as violation:
        return answer(shift.id, violation=violation)
    return answer(shift.id, done)


@bp.post("/<id:shift_id>/signup")
@roles_required(*STATION_ROLES)
def sign_up(shift_id: int):
    return act_on_shift(shift_id, services.sign_up, _("You are on the shift. Thank you!"))


@bp.post("/<id:shift_id>/waitlist")
@roles_required(*STATION_ROLES)
def join_waitlist(shift_id: int):
    return act_on_shift(
        shift_id,
        services.join_waitlist,
        _("You are on the waiting list; you will be told if a place frees up."),
    )


@bp.post("/<id:shift_id>/waitlist/leave")
@roles_required(*STATION_ROLES)
def leave_waitlist(shift_id: int):
    return act_on_shift(shift_id, services.leave_waitlist, _("You are off the waiting list."))


@bp.post("/assignments/<id:assignment_id>/confirm")
@roles_required(*STATION_ROLES)
def confirm(assignment_id: int):
    return act_on_assignment(assignment_id, services.confirm, _("Confirmed. Thank you!"))


@bp.route("/assignments/<id:assignment_id>/decline", methods=["GET", "POST"])
@roles_required(*STATION_ROLES)
def decline(assignment_id: int):
    assignment = own_assignment_or_404(assignment_id)
    form = decline_form(assignment.id, submitted=True)
    if form.validate_on_submit():
        try:
            services.decline(assignment.id, current_user, form.reason.data)
        except RuleViolation as violation:
            violation.attach_to(form)
            if not form.reason.errors:
                return answer(assignment.shift_id, violation=violation)
        else:
            return answer(assignment.shift_id, _("Declined. The staff can see your reason."))
    if wants_fragment():
        return answer(assignment.shift_id, open_decline=(assignment.id, form), status=form_status(form))
    return render("shifts/decline.html", form=form, assignment=assignment, status=form_status(form))


@bp.post("/assignments/<id:assignment_id>/withdraw")
@roles_required(*STATION_ROLES)
def withdraw(assignment_id: int):
    return act_on_assignment(assignment_id, services.withdraw, _("You are off the shift."))


@bp.post("/assignments/<id:assignment_id>/offer")
@roles_required(*STATION_ROLES)
def offer_swap(assignment_id: int):
    return act_on_assignment(
        assignment_id,
        services.offer_swap,
        _("Your place is offered to the other volunteers. Until someone takes it, it is still yours."),
    )


@bp.post("/assignments/<id:assignment_id>/keep")
@roles_required(*STATION_ROLES)
def withdraw_swap_offer(assignment_id: int):
    return act_on_assignment(
        assignment_id, services.withdraw_swap_offer, _("Your place is no longer offered.")
    )


@bp.post("/assignments/<id:assignment_id>/take")
@roles_required(*STATION_ROLES)
def take_swap(assignment_id: int):
    assignment = get_in_station_or_404(Assignment, assignment_id)
    shift_id = assignment.shift_id
    try:
        services.take_swap(assignment.id, current_user)
    except RuleViolation as violation:
        return answer(shift_id, violation=violation)
    return answer(shift_id, _("The place is yours. Thank you for stepping in!"))


# Calendar feed --------------------------------------------------------------------------


@bp.post("/feed")
@roles_required(*STATION_ROLES)
def renew_feed():
    had_one = db.session.scalar(sa.select(CalendarFeed.id).where(CalendarFeed.user_id == current_user.id))
    renew_calendar_feed(current_user)
    done = (
        _("New calendar address made; the old one no longer works.")
        if had_one
        else _("Your calendar address is ready.")
    )
    return answer(None, done)


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """Public but secret: the token is the only key. Unknown or revoked tokens are 404."""
    subscription = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token == token))
    if subscription is None or not subscription.user.active:
        abort(404)
    body = build_calendar(subscription.user, name=_("My station calendar"))
    response = make_response(body)
    response.mimetype = "text/calendar"
    response.headers["Cache-Control"] = "private, no-store"
    return response
