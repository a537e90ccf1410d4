"""Error pages in the app's own style, for full pages and htmx requests alike."""

from flask import Flask, render_template, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from scheduler.access import is_htmx
from scheduler.extensions import db

ERROR_MESSAGES = {
    400: lambda: _("The request could not be understood. Please go back and try again."),
    401: lambda: _("Please sign in first."),
    403: lambda: _("This page is not available to your account."),
    404: lambda: _("We could not find that page. It may have moved or been removed."),
    405: lambda: _("That action is not possible here."),
    409: lambda: _("That change conflicts with the current state. Please reload and try again."),
    413: lambda: _("That file is too large: spreadsheets may be at most 2 MB. Go back and choose another."),
    429: lambda: _("Too many attempts. Please wait a few minutes and try again."),
    500: lambda: _("Something went wrong on our side. Please try again in a moment."),
}


def render_error(code: int, message: str | None = None):
    message = message or ERROR_MESSAGES.get(code, ERROR_MESSAGES[500])()
    template = "errors/_message.html" if is_htmx() else "errors/error.html"
    response = render_template(template, code=code, message=message), code
    return response


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form has expired. Please reload the page and try again."))

    @app.errorhandler(401)
    def unauthorized(error):
        body, code = render_error(401)
        # htmx follows HX-Redirect whatever the status, so an expired session lands on login.
        return body, code, {"HX-Redirect": url_for("auth.login")}

    @app.errorhandler(HTTPException)
    def http_error(error):
        return render_error(error.code or 500)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
