"""Consent to the public board: who may give or withdraw it, and the record that proves it.

A person is on the board only while their ``BoardListing`` stands; their phone only beside
it, only as the number they agreed to, and only while it is still their number. Every
change appends a ``ConsentRecord`` with the very sentence that was agreed to, when and by
whom (the person, or the branch secretary for them, e.g. from a signed paper form), so the
station can show later what was agreed and that a withdrawal took effect.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import BoardListing, ConsentRecord, ConsentSubject, Role, User
from scheduler.rules import RuleViolation

LISTING_BY_SELF = _l(
    "Show my name, what I do (party member, building head…) and my building on the station’s "
    "public board and its printed sheet."
)
LISTING_FOR_PERSON = _l(
    "%(name)s agrees that their name, what they do and their building are shown on the station’s "
    "public board and its printed sheet."
)
PHONE_BY_SELF = _l("Also show my phone number %(phone)s beside my name.")
PHONE_FOR_PERSON = _l("%(name)s also agrees that their phone number %(phone)s is shown beside their name.")


def listing_wording(person: User, by: User) -> str:
    """The sentence the one ticking the box reads: what is agreed to, word for word."""
    if by.id == person.id:
        return str(LISTING_BY_SELF)
    return str(LISTING_FOR_PERSON % {"name": person.display_name})


def phone_wording(person: User, by: User, phone: str) -> str:
    if by.id == person.id:
        return str(PHONE_BY_SELF % {"phone": phone or "—"})
    return str(PHONE_FOR_PERSON % {"name": person.display_name, "phone": phone or "—"})


def may_set_consent(person: User, by: User) -> bool:
    """The person themselves, or the branch secretary of their station."""
    if person.station_id is None:
        return False
    return by.id == person.id or (by.role == Role.ADMIN and by.station_id == person.station_id)


def board_listing(person: User) -> BoardListing | None:
    return db.session.get(BoardListing, person.id)


def consent_history(person: User) -> list[ConsentRecord]:
    return list(
        db.session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.user_id == person.id)
            .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        )
    )


def set_board_consent(person: User, *, by: User, listed: bool, show_phone: bool) -> bool:
    """Give or withdraw consent to the board and to the phone on it; True when anything changed.

    Withdrawing takes effect in this transaction: the listing row goes, and the station's
    public version moves with it (scheduler/public_cache.py), so no cached board shows it.
    """
    if not may_set_consent(person, by):
        raise RuleViolation(_("Only the person or the branch secretary can change this."))
    if show_phone and not listed:
        raise RuleViolation(
            _("A phone number is shown only beside a listed name: tick both, or neither."), field="show_phone"
        )
    if show_phone and not person.phone:
        raise RuleViolation(_("There is no phone number on the account to show."), field="show_phone")
    now = utcnow()
    records: list[ConsentRecord] = []

    def record(subject: ConsentSubject, given: bool, phone: str = "") -> None:
        wording = (
            phone_wording(person, by, phone)
            if subject == ConsentSubject.PHONE
            else listing_wording(person, by)
        )
        records.append(
            ConsentRecord(
                station_id=person.station_id,
                user_id=person.id,
                subject=subject,
                given=given,
                phone=phone,
                wording=wording,
                recorded_at=now,
                recorded_by_id=by.id,
                recorded_by_name=by.display_name,
            )
        )

    listing = board_listing(person)
    shown_phone = listing.shown_phone if listing else ""
    wanted_phone = person.phone if show_phone else ""
    if shown_phone and shown_phone != wanted_phone:
        record(ConsentSubject.PHONE, False, shown_phone)
    if listing is not None and not listed:
        db.session.delete(listing)
        record(ConsentSubject.LISTING, False)
    elif listing is None and listed:
        listing = BoardListing(user_id=person.id, station_id=person.station_id, listed_since=now)
        db.session.add(listing)
        record(ConsentSubject.LISTING, True)
    if listed and wanted_phone != shown_phone:
        listing.shown_phone = wanted_phone
        if wanted_phone:
            record(ConsentSubject.PHONE, True, wanted_phone)
    db.session.add_all(records)
    db.session.commit()
    return bool(records)
