"""Check-in (签到): the duty desk's code pages, and the page a scanned code opens."""

import segno
from flask import current_app, url_for
from flask_login import current_user
from markupsafe import Markup

from scheduler.access import get_in_station_or_404, roles_required
from scheduler.database import utcnow, writes_on_get
from scheduler.models import STAFF_ROLES, STATION_ROLES, Shift
from scheduler.rendering import private, render
from scheduler.rules import RuleViolation
from scheduler.shifts import check_in
from scheduler.shifts.blueprint import bp


def code_url(token: str) -> str:
    """The absolute address in the QR code: a phone's camera opens it as it is."""
    return current_app.config["BASE_URL"] + url_for("shifts.scan", token=token)


def qr_svg(url: str, title: str) -> Markup:
    # segno escapes the title it writes into the SVG, so the markup is safe to embed.
    return Markup(segno.make(url, error="m").svg_inline(scale=8, omitsize=True, title=title))


@bp.get("/<id:shift_id>/check-in-code")
@roles_required(*STAFF_ROLES)
def check_in_code(shift_id: int):
    """The duty desk's screen: a new code every minute (htmx polls for the next one)."""
    shift = get_in_station_or_404(Shift, shift_id)
    url = code_url(check_in.rotating_code(shift))
    return private(
        render(
            "shifts/check_in_code.html",
            block="code",
            shift=shift,
            qr=qr_svg(url, shift.title),
            url=url,
            open_now=check_in.in_window(shift, utcnow()),
            window=check_in.window(shift),
            refresh_seconds=check_in.ROTATES_EVERY_SECONDS,
            made_at=utcnow(),
        )
    )


@bp.get("/<id:shift_id>/check-in-code/print")
@roles_required(*STAFF_ROLES)
def printed_check_in_code(shift_id: int):
    """A sheet for a desk without a screen: one code for the shift, good only in its window."""
    shift = get_in_station_or_404(Shift, shift_id)
    url = code_url(check_in.printed_code(shift))
    return private(
        render(
            "shifts/check_in_print.html",
            shift=shift,
            qr=qr_svg(url, shift.title),
            window=check_in.window(shift),
        )
    )


@bp.get("/check-in/<token>")
@roles_required(*STATION_ROLES)
@writes_on_get
def scan(token: str):
    """Where a scanned code lands (after signing in, if needed): checked in or out, or why not."""
    try:
        scanned = check_in.scan(token, current_user)
    except check_in.NotOnShift as refusal:
        shift = refusal.shift
        may_sign_up = (
            shift is not None
            and shift.self_signup
            and not shift.cancelled
            and not shift.has_started()
            and shift.is_unfilled
        )
        return private(
            render(
                "shifts/check_in_result.html",
                problem=refusal.message,
                offer=shift if may_sign_up else None,
                status=409,
            )
        )
    except RuleViolation as refusal:
        return private(render("shifts/check_in_result.html", problem=refusal.message, offer=None, status=409))
    return private(render("shifts/check_in_result.html", scanned=scanned, problem=None))
