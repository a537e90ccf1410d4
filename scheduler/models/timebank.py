"""The time bank: credits earned by service, redeemed for services, in an append-only ledger."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models.core import StationScoped, User, enum_column

# Credits are kept in hundredths, so 45 minutes at 1 credit an hour is exactly 75.
HUNDREDTHS = 100
DEFAULT_RATE = 1 * HUNDREDTHS  # credits per hour, in hundredths: the common 1 hour = 1 credit


class EntryKind(enum.StrEnum):
    EARN = "earn"
    REDEEM = "redeem"
    REVERSAL = "reversal"  # takes back credit earned by a place or task that no longer earns it

    @property
    def label(self) -> str:
        return str(ENTRY_KIND_LABELS[self])


ENTRY_KIND_LABELS = {
    EntryKind.EARN: _l("Earned"),
    EntryKind.REDEEM: _l("Redeemed"),
    EntryKind.REVERSAL: _l("Correction"),
}


class SourceKind(enum.StrEnum):
    ASSIGNMENT = "assignment"  # a place on a shift
    TASK = "task"


class LedgerIsAppendOnly(Exception):
    """Raised when code tries to change or delete a ledger entry: corrections are new entries."""


class CreditEntry(StationScoped, db.Model):
    """One line of a person's time bank. Never changed, never deleted: the history is the balance."""

    __table_args__ = (
        sa.Index("ix_credit_entry_user_id_id", "user_id", "id"),
        sa.Index("ix_credit_entry_source", "source_kind", "source_id"),
        sa.CheckConstraint("hundredths != 0", name="not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind))
    # Signed: earnings are positive, redemptions negative, a reversal takes back what was earned.
    hundredths: Mapped[int]
    # What earned it (a place on a shift, a task); no foreign key, the entry outlives its source.
    source_kind: Mapped[SourceKind | None] = mapped_column(enum_column(SourceKind))
    source_id: Mapped[int | None]
    # The rate an earning was priced at: a place or task keeps the rate of its first earning,
    # so a later change of rates does not re-price old work when attendance is saved again.
    per_hour: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def credits(self) -> float:
        return self.hundredths / HUNDREDTHS


class CreditRate(StationScoped, db.Model):
    """Credits per hour for one kind of work at one station, as the admin set it."""

    __table_args__ = (
        sa.UniqueConstraint("station_id", "work"),
        sa.CheckConstraint("per_hour BETWEEN 0 AND 10000", name="per_hour_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "shift:duty", "task:visit"… see scheduler.timebank.services.WORK_KINDS.
    work: Mapped[str] = mapped_column(sa.String(30))
    per_hour: Mapped[int] = mapped_column(default=DEFAULT_RATE)  # hundredths of a credit


@sa.event.listens_for(CreditEntry, "before_update")
def _refuse_update(mapper, connection, entry):
    raise LedgerIsAppendOnly(f"credit entry {entry.id} cannot be changed; append a reversal")


@sa.event.listens_for(CreditEntry, "before_delete")
def _refuse_delete(mapper, connection, entry):
    raise LedgerIsAppendOnly(f"credit entry {entry.id} cannot be deleted; append a reversal")


@sa.event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state):
    """``update(CreditEntry)`` and ``delete(CreditEntry)`` bypass the mapper events above."""
    if (state.is_update or state.is_delete) and state.bind_mapper is sa.inspect(CreditEntry):
        raise LedgerIsAppendOnly("credit entries cannot be changed or deleted; append a reversal")
