"""When people can usually serve, when they are away, and the tags shifts may ask for."""

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models.core import StationScoped, User

MAX_SHIFTS_PER_WEEK = 14


class DayPart(enum.IntEnum):
    """The parts of a day people say they are free in; a shift needs each part it touches."""

    MORNING = 0  # until 12:00
    AFTERNOON = 1  # 12:00 to 18:00
    EVENING = 2  # from 18:00

    @property
    def label(self) -> str:
        return str(DAY_PART_LABELS[self])

    @property
    def begins(self) -> time:
        return (time(0), time(12), time(18))[self]


DAY_PART_LABELS = {
    DayPart.MORNING: _l("morning"),
    DayPart.AFTERNOON: _l("afternoon"),
    DayPart.EVENING: _l("evening"),
}


def slot_bit(weekday: int, part: DayPart) -> int:
    """The bit of one weekday (Monday = 0) and part of the day in ``Availability.slots``."""
    return 1 << (weekday * len(DayPart) + part)


class Availability(StationScoped, db.Model):
    """What a person said about their usual week; no row means they have not said."""

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    # One bit per weekday and part of the day (see slot_bit): 21 bits.
    slots: Mapped[int] = mapped_column(default=0)
    max_per_week: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()

    def is_free(self, weekday: int, part: DayPart) -> bool:
        return bool(self.slots & slot_bit(weekday, part))


class DateAway(StationScoped, db.Model):
    """Days a person is away (travel, hospital, grandchildren); never offered for them."""

    __table_args__ = (sa.CheckConstraint("last_day >= first_day", name="last_after_first"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


person_tag = sa.Table(
    "person_tag",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(StationScoped, db.Model):
    """A station's word for what some people are or can do (党员, 理发, 医护)."""

    __table_args__ = (sa.UniqueConstraint("station_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))

    people: Mapped[list[User]] = relationship(secondary=person_tag, order_by="User.id")

    def __str__(self) -> str:
        return self.name
