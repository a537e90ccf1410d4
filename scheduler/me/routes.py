"""A staff member's phone home: their notices, shifts and tasks, soonest first."""

from flask import abort, redirect, url_for
from flask_login import current_user

from scheduler.access import roles_required
from scheduler.me.blueprint import bp
from scheduler.models import STATION_ROLES
from scheduler.navigation import render_home_sections
from scheduler.notices import dismiss_notice, unread_notices
from scheduler.rendering import render, wants_fragment


@bp.get("")
@roles_required(*STATION_ROLES)
def home():
    return render(
        "me/home.html",
        notices=unread_notices(current_user),
        sections=render_home_sections(current_user),
    )


@bp.post("/notices/<id:notice_id>/dismiss")
@roles_required(*STATION_ROLES)
def dismiss(notice_id: int):
    if not dismiss_notice(current_user, notice_id):
        abort(404)
    if wants_fragment():
        return render("me/home.html", block="notices", notices=unread_notices(current_user))
    return redirect(url_for("me.home"))
