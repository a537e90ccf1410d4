"""Invitation links: a one-time, expiring set-password link instead of a typed password.

The secretary creates an account (or asks for a fresh link for someone who forgot their
password) and gets an absolute link to pass on, once. Only the sha256 of the token is
stored, so the database alone cannot open an account. A link works once, expires after
``INVITATION_VALID_HOURS`` and can be revoked; a newer link revokes the older one.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from scheduler.auth.services import end_all_sessions, start_session
from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Invitation, InvitationState, User
from scheduler.rules import RuleViolation

TOKEN_BYTES = 32
# The password hash of an account whose person has not chosen a password yet: it has no
# "$", so werkzeug's check refuses every password against it.
INVITATION_ENDPOINT = "people.invitation"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_link(token: str) -> str:
    """The absolute address of a token's page, built without a request (the CLI has none)."""
    path = current_app.url_map.bind("localhost").build(INVITATION_ENDPOINT, {"token": token})
    return current_app.config["BASE_URL"] + path


def _open_criteria(now: datetime) -> list:
    return [Invitation.used_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now]


def issue_invitation(user: User, issued_by: User | None) -> str:
    """A new set-password link for ``user``; any earlier open link of theirs stops working.

    Runs in the caller's transaction (nothing is committed) and returns the absolute link,
    which exists nowhere else: show it once. ``issued_by`` is None from the command line.
    """
    now = utcnow()
    revoke_invitations(user, now=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    hours = current_app.config.get("INVITATION_VALID_HOURS", 72)
    db.session.add(
        Invitation(
            user=user,
            issued_by_id=issued_by.id if issued_by is not None else None,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return invitation_link(token)


def revoke_invitations(user: User, now: datetime | None = None) -> int:
    """Revoke every open link of ``user`` in the caller's transaction; returns how many."""
    now = now or utcnow()
    if user.id is None:
        return 0
    result = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.user_id == user.id, *_open_criteria(now))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def open_invitation(user: User) -> Invitation | None:
    """The link of ``user`` that still works, if any."""
    return db.session.scalar(
        sa.select(Invitation).where(Invitation.user_id == user.id, *_open_criteria(utcnow()))
    )


def open_invitations_by_user(user_ids) -> dict[int, Invitation]:
    """The working link of each of ``user_ids`` that has one (one query, for lists)."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Invitation).where(Invitation.user_id.in_(user_ids), *_open_criteria(utcnow()))
    )
    return {invitation.user_id: invitation for invitation in rows}


@dataclass
class Lookup:
    """What a token opens: the invitation (None when unknown) and its state now."""

    invitation: Invitation | None
    state: InvitationState | None

    @property
    def usable(self) -> bool:
        return self.state == InvitationState.OPEN


def find_invitation(token: str) -> Lookup:
    """The invitation behind ``token``; a switched-off account's link counts as revoked."""
    if not token or len(token) > 100:
        return Lookup(None, None)
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        return Lookup(None, None)
    state = invitation.state(utcnow())
    if state == InvitationState.OPEN and not invitation.user.active:
        state = InvitationState.REVOKED
    return Lookup(invitation, state)


def use_invitation(token: str, password: str) -> User:
    """Set the person's password through their link, once, and sign this device in. Commits.

    As with a password change, every older session ends and the calendar feed gets a new address.

    The link is marked used by a conditional update, so two posts of the same link
    (a double tap, two phones) cannot both succeed.
    """
    lookup = find_invitation(token)
    if not lookup.usable:
        raise RuleViolation(_("This link no longer works."))
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == lookup.invitation.id, *_open_criteria(now))
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise RuleViolation(_("This link no longer works."))
    user = lookup.invitation.user
    user.set_password(password)
    end_all_sessions(user)
    start_session(user)  # commits: the link is used, the password set and this device signed in at once
    return user


def revoke_invitation(user: User) -> bool:
    """Revoke the person's open link (an admin's button). Commits; False when there was none."""
    revoked = revoke_invitations(user)
    db.session.commit()
    return revoked > 0
