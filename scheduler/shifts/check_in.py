"""Checking in and out of a shift by scanning the duty desk's code (签到).

Two codes lead to the same page, each a signed token naming the shift:

- **The rotating code** on the duty desk's screen carries a fresh random nonce every
  60 seconds and is good for ``ROTATING_CODE_LIFE`` after it appeared (time to unlock
  the phone and sign in). One person may use one rotating code once: scanning it again
  (a photo passed around, a reloaded page) is refused as replayed.
- **The printed per-shift code** is for a desk without a screen. It never changes, so
  what protects it is its window (``CHECK_IN_OPENS_BEFORE`` the start until the end).
  "Replayed" for it means a person using it again for a step they already took: each
  person may use it once to check in and once to check out, and a third scan is refused.

The first scan checks the person in, the next (with another code, or the printed one)
checks them out. Checking out is optional; hours count from the shift's own times.
Both happen under the shift's row lock, like every change to a place (``services``).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Assignment, CheckInScan, Shift, User
from scheduler.rules import RuleViolation
from scheduler.shifts.formatting import clock
from scheduler.shifts.services import assignment_of, lock_shift, transaction

ROTATING_CODE_LIFE = timedelta(seconds=120)
ROTATES_EVERY_SECONDS = 60
CHECK_IN_OPENS_BEFORE = timedelta(minutes=30)
PRINTED = "printed"


class NotOnShift(RuleViolation):
    """The person scanning holds no place on the shift; the page may offer them an open one."""

    def __init__(self, shift: Shift | None):
        super().__init__(_("You are not on this shift."))
        self.shift = shift


@dataclass(frozen=True)
class Code:
    shift_id: int
    nonce: str | None  # None for the printed per-shift code


@dataclass(frozen=True)
class Scanned:
    assignment: Assignment
    checked_out: bool  # False: this scan checked the person in
    at: datetime


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="shift-check-in")


def rotating_code(shift: Shift) -> str:
    return _serializer().dumps([shift.id, secrets.token_urlsafe(12)])


def printed_code(shift: Shift) -> str:
    return _serializer().dumps([shift.id, PRINTED])


def read_code(token: str) -> Code:
    """The shift and nonce a scanned token names; a rotating one only while it is fresh."""
    serializer = _serializer()
    try:
        shift_id, nonce = serializer.loads(token)
    except BadSignature as error:
        raise RuleViolation(
            _("This is not a check-in code of this station. Scan the code at the duty desk.")
        ) from error
    if nonce == PRINTED:
        return Code(shift_id, None)
    try:
        serializer.loads(token, max_age=ROTATING_CODE_LIFE.total_seconds())
    except SignatureExpired as error:
        raise RuleViolation(
            _("This code has expired: it changes every minute. Scan the code on the desk's screen again.")
        ) from error
    return Code(shift_id, nonce)


def window(shift: Shift) -> tuple[datetime, datetime]:
    return shift.starts_at - CHECK_IN_OPENS_BEFORE, shift.ends_at


def in_window(shift: Shift, now: datetime) -> bool:
    opens, closes = window(shift)
    return opens <= now <= closes


def _check_window(shift: Shift, now: datetime) -> None:
    if shift.cancelled:
        raise RuleViolation(_("This shift is cancelled."))
    opens, closes = window(shift)
    if now < opens:
        raise RuleViolation(
            _("Check-in opens at %(time)s, 30 minutes before the shift starts.", time=clock(opens))
        )
    if now > closes:
        raise RuleViolation(_("This shift ended at %(time)s; check-in is closed.", time=clock(closes)))


def scan(token: str, user: User) -> Scanned:
    """Check ``user`` in (first scan) or out (next scan) of the shift the code names."""
    code = read_code(token)
    now = utcnow()
    with transaction():
        shift = db.session.get(Shift, code.shift_id)
        if shift is None or shift.station_id != user.station_id:
            raise NotOnShift(None)
        shift = lock_shift(shift.id)
        _check_window(shift, now)
        assignment = assignment_of(shift, user.id)
        if assignment is None or not assignment.holds_place:
            raise NotOnShift(shift)
        checking_out = assignment.checked_in_at is not None
        use = code.nonce or f"{PRINTED}-{'out' if checking_out else 'in'}"
        if assignment.checked_out_at is not None or _used(shift, user, use):
            raise RuleViolation(_replay_message(assignment))
        db.session.add(CheckInScan(station_id=shift.station_id, shift_id=shift.id, user_id=user.id, code=use))
        if checking_out:
            assignment.checked_out_at = now
        else:
            assignment.checked_in_at = now
        return Scanned(assignment, checking_out, now)


def _used(shift: Shift, user: User, use: str) -> bool:
    return (
        db.session.scalar(
            sa.select(CheckInScan.id).where(
                CheckInScan.shift_id == shift.id, CheckInScan.user_id == user.id, CheckInScan.code == use
            )
        )
        is not None
    )


def _replay_message(assignment: Assignment) -> str:
    if assignment.checked_out_at is not None:
        return _(
            "This code was already used: you checked in at %(in)s and out at %(out)s.",
            **{"in": clock(assignment.checked_in_at), "out": clock(assignment.checked_out_at)},
        )
    return _(
        "This code was already used: you checked in at %(time)s. "
        "To check out, scan the code on the duty desk's screen when you leave.",
        time=clock(assignment.checked_in_at),
    )
