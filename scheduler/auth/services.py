"""Signing in and out, and the rules that end sessions.

Every sign-in is a row in ``user_session`` (one per device). Flask-Login keeps
``"<user id>:<session version>:<device key>"`` in the session cookie and, with "keep me
signed in", in the remember cookie. A request is signed in only while that device's row
exists, the version matches and the account is active, so:

- signing out deletes this device's row: copies of its cookies stop working, other
  devices stay signed in;
- signing out everywhere, a password change and an administrator's reset bump the version
  and delete every row, and give the calendar feed a new address.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from scheduler.auth import throttle
from scheduler.auth.known_devices import device_mark
from scheduler.calendar_feed import renew_existing_feed
from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import User, UserSession
from scheduler.rules import RuleViolation

log = logging.getLogger("scheduler.auth")


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _password_matches(user: User | None, password: str) -> bool:
    """One full-cost hash check whatever the account, so the time taken does not tell
    whether the username exists or has a password yet (invited, link not used)."""
    if user is None or not user.has_password:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# Built once: it runs on every signed-in request.
_LIVE_SESSION_USER = (
    sa.select(User)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("user_id"),
        User.session_version == sa.bindparam("version"),
        User.active.is_(True),
        UserSession.key_hash == sa.bindparam("key_hash"),
        UserSession.expires_at > sa.bindparam("now"),
    )
    .options(joinedload(User.station))
)


def load_user_from_session_id(session_id: str) -> User | None:
    """Flask-Login's loader: the user of a live device session, in one query, with their
    station (every signed-in page names it in the account menu)."""
    parts = session_id.split(":")
    if len(parts) != 3:
        return None  # also the "user:version" ids of cookies from before device sessions
    user_id, version, key = parts
    if not (user_id.isdecimal() and version.isdecimal() and key):
        return None
    user = db.session.scalar(
        _LIVE_SESSION_USER,
        {"user_id": int(user_id), "version": int(version), "key_hash": _key_hash(key), "now": utcnow()},
    )
    if user is not None:
        user.session_key = key
    return user


def start_session(user: User) -> None:
    """A new device session for ``user`` (its key goes into their Flask-Login id); commits."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(sa.delete(UserSession).where(UserSession.expires_at <= now))
    db.session.add(
        UserSession(
            user_id=user.id,
            key_hash=_key_hash(key),
            created_at=now,
            expires_at=now + current_app.config["REMEMBER_COOKIE_DURATION"],
        )
    )
    user.last_login_at = now
    db.session.commit()
    user.session_key = key


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: the user, or a refusal, or a wait in seconds."""

    user: User | None = None
    wait_seconds: int = 0


def _who(user: User | None) -> str:
    # Never the text typed as a username: people type their password there by mistake.
    return f"user_id={user.id} username={user.username}" if user else "username=<not an account>"


def sign_in(username: str, password: str, address: str, device_marks: list[str]) -> SignIn:
    """Check a sign-in under the throttles; on success the device session has started."""
    username = username.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    known_user_id = user.id if user is not None and device_mark(user) in device_marks else None
    wait = throttle.wait_seconds(address, username, known_user_id)
    if wait:
        log.warning("login throttled %s address=%s wait=%ds", _who(user), address, wait)
        return SignIn(wait_seconds=wait)
    ok = _password_matches(user, password)
    if ok and not user.active:
        # Only someone who knows the password learns that the account exists.
        log.warning("login refused: switched off %s address=%s", _who(user), address)
        raise RuleViolation(_("This account is switched off. Please ask the station."))
    if not ok:
        throttle.record_failure(address, username, known_user_id)
        log.warning("login failed %s address=%s known_device=%s", _who(user), address, bool(known_user_id))
        return SignIn()
    start_session(user)
    log.info("login succeeded user_id=%s address=%s", user.id, address)
    return SignIn(user=user)


def end_session(user: User) -> None:
    """Sign this device out: its cookies, and every copy of them, stop working."""
    db.session.execute(sa.delete(UserSession).where(UserSession.key_hash == _key_hash(user.session_key)))
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """In the caller's transaction: every device signed out, and a new calendar-feed address."""
    user.end_all_sessions()
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    renew_existing_feed(user)


def sign_out_everywhere(user: User) -> None:
    end_all_sessions(user)
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str, address: str) -> SignIn:
    """Other devices are signed out; this one continues in a new session.

    Wrong current passwords spend the person's own known-device budget, as failed sign-ins on
    their phone do: a borrowed or stolen signed-in phone cannot be used to guess the password.
    Returns a wait in seconds while that budget is spent, else the signed-in user.
    """
    if wait := throttle.wait_seconds(address, user.username, user.id):
        log.warning("password change throttled %s address=%s wait=%ds", _who(user), address, wait)
        return SignIn(wait_seconds=wait)
    if not user.check_password(current_password):
        throttle.record_failure(address, user.username, user.id)
        raise RuleViolation(_("The current password is not correct."), field="current_password")
    user.set_password(new_password)
    end_all_sessions(user)
    start_session(user)
    return SignIn(user=user)
