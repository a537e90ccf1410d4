"""Consent to appear on the station's public board (公示), and the record that proves it."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models.core import StationScoped, User, enum_column


class BoardListing(StationScoped, db.Model):
    """A person's standing consent to be listed on the board: the row exists only while it stands.

    Withdrawing deletes the row, so the board (which joins on it) drops the person at once.
    The phone shown is the number the person agreed to show: a later change of number is
    not shown until they agree again.
    """

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    listed_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shown_phone: Mapped[str] = mapped_column(sa.String(20), default="")

    user: Mapped[User] = relationship()


class ConsentSubject(enum.StrEnum):
    LISTING = "board"  # name, kind and building on the public board
    PHONE = "board_phone"  # the phone number beside the name


class ConsentRecord(StationScoped, db.Model):
    """One consent given or withdrawn: appended, never changed, so it proves later who agreed
    to what, in which words, when, and who recorded it (the person or the secretary for them)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    subject: Mapped[ConsentSubject] = mapped_column(enum_column(ConsentSubject))
    given: Mapped[bool]
    # The number agreed to (phone consent): what was shown, even after the account changes.
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    # The sentence the person (or the secretary) saw when ticking the box, in their language.
    wording: Mapped[str] = mapped_column(sa.String(400))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Kept as written: the recorder's account may be renamed or removed later.
    recorded_by_name: Mapped[str] = mapped_column(sa.String(40))

    @property
    def by_the_person(self) -> bool:
        return self.recorded_by_id == self.user_id
