from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from scheduler.access import roles_required
from scheduler.auth.blueprint import bp
from scheduler.auth.forms import ChangePasswordForm, LoginForm
from scheduler.auth.services import authenticate, change_password, end_all_sessions
from scheduler.extensions import limiter
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


def failed_login(response) -> bool:
    # Only failed attempts count towards the limits; a success redirects.
    return request.method == "POST" and response.status_code != 302


def login_username_key() -> str:
    return "login-username:" + request.form.get("username", "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=failed_login,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    key_func=login_username_key,
    methods=["POST"],
    deduct_when=failed_login,
)
def login():
    if current_user.is_authenticated:
        return redirect(home_url())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            if user is not None:
                login_user(user, remember=form.remember.data)
                return redirect(safe_next_url(request.args.get("next")) or home_url())
            # One message whatever went wrong: it must not reveal which usernames exist.
            form.form_errors.append(_("Wrong username or password."))
    return render("auth/login.html", form=form, status=form_status(form))


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@roles_required()
def logout_everywhere():
    end_all_sessions(current_user)
    logout_user()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@roles_required()
def password():
    form = ChangePasswordForm(current_user.username)
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except RuleViolation as violation:
            violation.attach_to(form)
        else:
            # The old sessions ended; this device signs in again with the new version.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(home_url())
    return render("auth/password.html", form=form, status=form_status(form))
