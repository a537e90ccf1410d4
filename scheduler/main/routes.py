"""Routes that belong to no area: health check and language choice."""

import logging

import sqlalchemy as sa
from flask import current_app, jsonify, redirect, request, url_for

from scheduler.auth.routes import safe_next_url
from scheduler.extensions import csrf, db, limiter
from scheduler.main.blueprint import bp

log = logging.getLogger("scheduler")

LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        log.exception("health check: database does not answer")
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.post("/language")
@csrf.exempt
def set_language():
    """Remember the visitor's language. Exempt from CSRF: its only effect is the visitor's own
    language cookie and a redirect within the site, and the public pages that carry the switch
    are cached for everyone, so they cannot hold one visitor's token."""
    language = request.form.get("language", "")
    target = safe_next_url(request.form.get("next")) or url_for("menu.index")
    response = redirect(target)
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(
            "lang",
            language,
            max_age=LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=current_app.config["HTTPS"],
            httponly=True,
        )
    return response
