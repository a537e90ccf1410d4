"""The "known device" cookie: which people have signed in successfully on this browser.

Set at every successful sign-in and password change, kept for a year, signed with the
secret key so that nobody can write one by hand. It lists a mark per person: their id and
a fingerprint of their current password hash, so a device that knew an old password is no
longer "known" once the password changes. Signing out leaves it in place: it is what lets
the owner back in on their own phone while someone else fails with their username.
"""

import hashlib
from datetime import timedelta

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "known_device"
COOKIE_PATH = "/auth"
LIFETIME = timedelta(days=365)
MAX_PEOPLE = 8  # a family phone shared by a few volunteers


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-device")


def device_mark(user) -> str:
    fingerprint = hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
    return f"{user.id}:{fingerprint}"


def device_marks(request: Request) -> list[str]:
    """The marks this browser holds; none when the cookie is missing, forged or malformed."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return []
    try:
        marks = _serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(marks, list):
        return []
    return [mark for mark in marks if isinstance(mark, str)][:MAX_PEOPLE]


def remember_device(request: Request, response: Response, user) -> None:
    """Mark this browser as one where ``user`` signed in (most recent person first)."""
    own_prefix = f"{user.id}:"
    others = [mark for mark in device_marks(request) if not mark.startswith(own_prefix)]
    marks = [device_mark(user), *others][:MAX_PEOPLE]
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps(marks),
        max_age=int(LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        secure=current_app.config["HTTPS"],
        httponly=True,
        samesite="Lax",
    )
