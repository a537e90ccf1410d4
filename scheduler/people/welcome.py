"""The page behind an invitation link: the new (or forgetful) person chooses a password.

Public: the token is the only credential. Responses are never stored by a cache or kept
in the browser history, and one address may try only so many links.
"""

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import login_user

from scheduler.auth.forms import NewPasswordForm
from scheduler.extensions import limiter
from scheduler.models import InvitationState, Role
from scheduler.people.blueprint import bp
from scheduler.people.invitations import find_invitation, use_invitation
from scheduler.rendering import form_status, private, render
from scheduler.rules import RuleViolation

# An unknown token is 404; a known one that stopped working is 410 Gone.
CLOSED_STATUS = {None: 404, **dict.fromkeys(InvitationState, 410)}


def link_refused(response) -> bool:
    """Only unknown and closed links count against an address: typing a weak password does not."""
    return response.status_code in (404, 410)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["INVITATION_LIMIT_PER_ADDRESS"], deduct_when=link_refused)
def invitation(token: str):
    lookup = find_invitation(token)
    if not lookup.usable:
        return closed_link(lookup.state)
    user = lookup.invitation.user
    form = NewPasswordForm(user.username)
    if form.validate_on_submit():
        try:
            user = use_invitation(token, form.new_password.data)
        except RuleViolation:
            # Used or revoked between the page and the post (a double tap, a second phone).
            return closed_link(find_invitation(token).state)
        login_user(user)
        flash(_("Welcome, %(name)s. Your password is set.", name=user.display_name), "success")
        return redirect(url_for("people.stations") if user.role == Role.SUPERADMIN else url_for("me.home"))
    return private(
        render(
            "people/invitation.html",
            form=form,
            person=user,
            expires_at=lookup.invitation.expires_at,
            status=form_status(form),
        )
    )


def closed_link(state: InvitationState | None):
    return private(render("people/invitation_closed.html", state=state, status=CLOSED_STATUS[state]))
