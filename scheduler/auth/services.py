"""Signing in and out, and the rules that end sessions."""

import logging
import secrets
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import User
from scheduler.rules import RuleViolation

log = logging.getLogger("scheduler.auth")


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so both failures take the same time."""
    return generate_password_hash(secrets.token_hex(16))


def load_user_from_session_id(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version, so old cookies die."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


def authenticate(username: str, password: str, address: str) -> User | None:
    """The user, or None for a wrong username or password; RuleViolation when switched off."""
    user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = user.check_password(password)
        if ok and not user.active:
            # Only someone who knows the password learns that the account exists.
            log.warning("login refused: switched off user_id=%s address=%s", user.id, address)
            raise RuleViolation(_("This account is switched off. Please ask the station."))
    if not ok:
        log.warning("login failed username=%r address=%s", username, address)
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    log.info("login succeeded user_id=%s address=%s", user.id, address)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise RuleViolation(_("The current password is not correct."), field="current_password")
    user.set_password(new_password)
    user.end_all_sessions()
    db.session.commit()


def end_all_sessions(user: User) -> None:
    user.end_all_sessions()
    db.session.commit()
