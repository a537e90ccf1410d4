"""Shifts of station duty and activities, who is on them, who waits, and calendar feeds."""

import enum
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models.availability import Tag
from scheduler.models.core import StationScoped, User, enum_column
from scheduler.models.menu import Service

# The areas of a 党群驿站 as the article's station names them; offered as suggestions,
# any other place may be typed.
STATION_AREAS = ("先锋驿站", "邻里议站", "服务易站", "时光忆站")

# A check-in or check-out further than this from the shift's times gets a note for staff.
CHECK_IN_NOTE_AFTER = timedelta(minutes=30)

MIN_CAPACITY = 1
MAX_CAPACITY = 50


class ShiftKind(enum.StrEnum):
    DUTY = "duty"
    ACTIVITY = "activity"

    @property
    def label(self) -> str:
        return str(SHIFT_KIND_LABELS[self])


SHIFT_KIND_LABELS = {
    ShiftKind.DUTY: _l("Station duty"),
    ShiftKind.ACTIVITY: _l("Activity"),
}


class AssignmentState(enum.StrEnum):
    ASSIGNED = "assigned"  # put on the shift by staff, not answered yet
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    ATTENDED = "attended"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return str(ASSIGNMENT_STATE_LABELS[self])


ASSIGNMENT_STATE_LABELS = {
    AssignmentState.ASSIGNED: _l("Waiting for an answer"),
    AssignmentState.CONFIRMED: _l("Confirmed"),
    AssignmentState.DECLINED: _l("Declined"),
    AssignmentState.ATTENDED: _l("Attended"),
    AssignmentState.NO_SHOW: _l("No-show"),
}

# Attendance is history: once recorded, a place can only be corrected, never removed.
RECORDED_STATES = (AssignmentState.ATTENDED, AssignmentState.NO_SHOW)

# States that hold one of the shift's places.
PLACE_HOLDING_STATES = (
    AssignmentState.ASSIGNED,
    AssignmentState.CONFIRMED,
    AssignmentState.ATTENDED,
    AssignmentState.NO_SHOW,
)


class ShiftSeries(StationScoped, db.Model):
    """A weekly pattern (weekdays, one time slot, a date range) that created its shifts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(80))
    # ISO weekday numbers, Monday = 1, e.g. "1,2,3,4,5".
    weekdays: Mapped[str] = mapped_column(sa.String(20))
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    # The menu service its shifts give (e.g. 剪纸兴趣班); new shifts of the series inherit it.
    service_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service.id", ondelete="SET NULL"), index=True
    )
    # At least ``needs_tag_count`` of each shift's places go to people with this tag.
    needs_tag_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tag.id", ondelete="SET NULL"))
    needs_tag_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(day) for day in self.weekdays.split(",") if day]


# What a shift's plan holds besides its times: what a form sets and a copy carries over.
PLAN_FIELDS = (
    "kind",
    "title",
    "location",
    "capacity",
    "self_signup",
    "notes",
    "service_id",
    "needs_tag_id",
    "needs_tag_count",
)


class Shift(StationScoped, db.Model):
    __table_args__ = (
        sa.CheckConstraint(f"capacity BETWEEN {MIN_CAPACITY} AND {MAX_CAPACITY}", name="capacity_range"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_shift_station_id_starts_at", "station_id", "starts_at"),
        # The public menu looks up a service's coming dates.
        sa.Index("ix_shift_service_id_starts_at", "service_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shift_series.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ShiftKind] = mapped_column(enum_column(ShiftKind), default=ShiftKind.DUTY)
    title: Mapped[str] = mapped_column(sa.String(80))
    location: Mapped[str] = mapped_column(sa.String(80), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=1)
    # Volunteers may sign themselves up; otherwise only staff assign people.
    self_signup: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(sa.String(500), default="")
    # The menu service this shift gives or staffs; residents see the dates of linked activities.
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service.id", ondelete="SET NULL"))
    # At least ``needs_tag_count`` places go to people with this tag (e.g. one 党员).
    needs_tag_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tag.id", ondelete="SET NULL"))
    needs_tag_count: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    series: Mapped[ShiftSeries | None] = relationship()
    service: Mapped[Service | None] = relationship()
    needs_tag: Mapped[Tag | None] = relationship()
    assignments: Mapped[list["Assignment"]] = relationship(
        back_populates="shift", order_by="Assignment.id", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Shift {self.id} {self.title} {self.starts_at:%Y-%m-%d %H:%M}>"

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def hours(self) -> float:
        return self.duration.total_seconds() / 3600

    @classmethod
    def planned_like(
        cls, plan, station_id: int, starts_at: datetime, ends_at: datetime, series_id: int | None = None
    ) -> "Shift":
        """A new shift with ``plan``'s details (a shift or a form's ShiftDetails), none of its people."""
        return cls(
            station_id=station_id,
            series_id=series_id,
            starts_at=starts_at,
            ends_at=ends_at,
            **{name: getattr(plan, name) for name in PLAN_FIELDS},
        )

    def planned_again(self, starts_at: datetime, ends_at: datetime) -> "Shift":
        """The same shift at other times (copying a week forward): its plan, none of its people."""
        return Shift.planned_like(self, self.station_id, starts_at, ends_at)

    def has_started(self, now: datetime | None = None) -> bool:
        return self.starts_at <= (now or utcnow())

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return self.starts_at < ends_at and starts_at < self.ends_at

    @property
    def place_holders(self) -> list["Assignment"]:
        return [a for a in self.assignments if a.holds_place]

    @property
    def declined(self) -> list["Assignment"]:
        return [a for a in self.assignments if a.state == AssignmentState.DECLINED]

    @property
    def filled(self) -> int:
        return len(self.place_holders)

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.filled, 0)

    @property
    def is_unfilled(self) -> bool:
        return not self.cancelled and self.filled < self.capacity


class Assignment(StationScoped, db.Model):
    """One person on one shift, from assignment or sign-up to attendance."""

    __table_args__ = (sa.UniqueConstraint("shift_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shift.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    state: Mapped[AssignmentState] = mapped_column(enum_column(AssignmentState))
    decline_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # Who put the person on the shift; None when they signed up themselves.
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Set while the person offers their place to another volunteer; they stay responsible.
    swap_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the person scanning the duty desk's code (scheduler.shifts.check_in).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shift: Mapped[Shift] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    corrections: Mapped[list["AttendanceCorrection"]] = relationship(
        back_populates="assignment", order_by="AttendanceCorrection.id", passive_deletes=True
    )

    @classmethod
    def places_held_between(cls, station_id: int, start: datetime, end: datetime) -> sa.Select:
        """(user id, shift) for every place held on a live shift overlapping [start, end)."""
        return (
            sa.select(cls.user_id, Shift)
            .join(Shift, Shift.id == cls.shift_id)
            .where(
                cls.station_id == station_id,
                cls.state.in_(PLACE_HOLDING_STATES),
                Shift.cancelled_at.is_(None),
                Shift.starts_at < end,
                Shift.ends_at > start,
            )
        )

    @property
    def holds_place(self) -> bool:
        return self.state in PLACE_HOLDING_STATES

    @property
    def offered_for_swap(self) -> bool:
        return self.swap_offered_at is not None

    def times_differ(self) -> list[tuple[str, datetime, datetime]]:
        """Check-in or check-out more than CHECK_IN_NOTE_AFTER away from the shift's own times:
        (which, when scanned, the shift's time). Hours still count from the shift's times."""
        pairs = (
            ("in", self.checked_in_at, self.shift.starts_at),
            ("out", self.checked_out_at, self.shift.ends_at),
        )
        return [
            (which, at, planned)
            for which, at, planned in pairs
            if at is not None and abs(at - planned) > CHECK_IN_NOTE_AFTER
        ]


class CheckInScan(StationScoped, db.Model):
    """One use of a check-in code by one person: what makes a replayed code recognisable.

    ``code`` is the rotating code's one-time nonce (usable once per person), or for the
    printed per-shift code ``printed-in`` / ``printed-out`` (once per person and direction).
    """

    __table_args__ = (sa.UniqueConstraint("shift_id", "user_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shift.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


CORRECTION_REASON_LENGTH = 200


class AttendanceCorrection(StationScoped, db.Model):
    """A recorded attendance changed afterwards: kept, because attendance is service history."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_state: Mapped[AssignmentState] = mapped_column(enum_column(AssignmentState))
    to_state: Mapped[AssignmentState] = mapped_column(enum_column(AssignmentState))
    reason: Mapped[str] = mapped_column(sa.String(CORRECTION_REASON_LENGTH))

    assignment: Mapped[Assignment] = relationship(back_populates="corrections")
    by: Mapped[User | None] = relationship()


class WaitlistEntry(StationScoped, db.Model):
    """A person waiting for a place on a full shift; the lowest id is served first."""

    __table_args__ = (sa.UniqueConstraint("shift_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shift.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shift: Mapped[Shift] = relationship()
    user: Mapped[User] = relationship()


class CalendarFeed(db.Model):
    """A person's secret calendar address; a new token makes the old address 404."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
