from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from scheduler.access import roles_required
from scheduler.auth.blueprint import bp
from scheduler.auth.forms import ChangePasswordForm, LoginForm
from scheduler.auth.known_devices import device_marks, remember_device
from scheduler.auth.services import change_password, end_session, sign_in, sign_out_everywhere
from scheduler.models import Role
from scheduler.rendering import form_status, render
from scheduler.rules import RuleViolation


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative //."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def home_url() -> str:
    if current_user.role == Role.SUPERADMIN:
        return url_for("people.stations")
    return url_for("me.home")


def held_back(template: str, form, seconds: int):
    """The form again, answered 429 with how long to wait (also as Retry-After)."""
    wait = format_timedelta(timedelta(seconds=seconds), threshold=1.5)
    form.form_errors.append(_("Too many failed sign-ins. Please wait %(wait)s and try again.", wait=wait))
    response = render(template, form=form, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url())
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr or ""
        try:
            attempt = sign_in(form.username.data, form.password.data, address, device_marks(request))
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            if attempt.user is not None:
                # A new session: nothing from before signing in (the CSRF token included) carries over.
                session.clear()
                login_user(attempt.user, remember=form.remember.data)
                response = redirect(safe_next_url(request.args.get("next")) or home_url())
                remember_device(request, response, attempt.user)
                return response
            if attempt.wait_seconds:
                return held_back("auth/login.html", form, attempt.wait_seconds)
            # One message whatever went wrong: it must not reveal which usernames exist.
            form.form_errors.append(_("Wrong username or password."))
    return render("auth/login.html", form=form, status=form_status(form))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        end_session(current_user)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@roles_required()
def logout_everywhere():
    sign_out_everywhere(current_user)
    logout_user()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@roles_required()
def password():
    form = ChangePasswordForm(current_user.username)
    if form.validate_on_submit():
        try:
            attempt = change_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
                request.remote_addr or "",
            )
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            if attempt.wait_seconds:
                return held_back("auth/password.html", form, attempt.wait_seconds)
            # The old sessions ended; this device goes on in the new one, remembered if it was.
            user = attempt.user
            login_user(user, remember=current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies)
            flash(_("Your password is changed. Other devices are signed out."), "success")
            response = redirect(home_url())
            remember_device(request, response, user)
            return response
    return render("auth/password.html", form=form, status=form_status(form))
