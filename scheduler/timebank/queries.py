"""What the time bank pages read: balances, a person's history, the station's ledger and totals."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from scheduler.extensions import db
from scheduler.models import (
    HUNDREDTHS,
    Assignment,
    CreditEntry,
    EntryKind,
    Shift,
    SourceKind,
    Task,
    User,
)
from scheduler.pagination import paginate
from scheduler.shifts.formatting import shift_time

HISTORY_ON_HOME = 10
LEDGER_PAGE = 50


@dataclass(frozen=True)
class CreditFigures:
    """Earned and redeemed within a span, and what everyone holds at its end (hundredths)."""

    earned: int = 0
    redeemed: int = 0
    outstanding: int = 0

    @property
    def any(self) -> bool:
        return bool(self.earned or self.redeemed or self.outstanding)


def credit_figures(station_id: int, since: datetime, until: datetime) -> CreditFigures:
    """One query: earnings net of reversals and redemptions within [since, until), and the
    station's outstanding credits at ``until``."""
    within = sa.and_(CreditEntry.created_at >= since, CreditEntry.created_at < until)
    redeeming = CreditEntry.kind == EntryKind.REDEEM
    earned, redeemed, outstanding = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(within, ~redeeming), CreditEntry.hundredths))), 0),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(within, redeeming), -CreditEntry.hundredths))), 0),
            sa.func.coalesce(sa.func.sum(CreditEntry.hundredths), 0),
        ).where(CreditEntry.station_id == station_id, CreditEntry.created_at < until)
    ).one()
    return CreditFigures(earned, redeemed, outstanding)


def history(user_id: int, limit: int = HISTORY_ON_HOME) -> list[CreditEntry]:
    return list(
        db.session.scalars(
            sa.select(CreditEntry)
            .where(CreditEntry.user_id == user_id)
            .order_by(CreditEntry.id.desc())
            .limit(limit)
        )
    )


def ledger_select(station_id: int) -> sa.Select:
    return (
        sa.select(CreditEntry)
        .where(CreditEntry.station_id == station_id)
        .options(joinedload(CreditEntry.user), joinedload(CreditEntry.recorded_by))
        .order_by(CreditEntry.id.desc())
    )


def ledger_page(station_id: int):
    return paginate(ledger_select(station_id), LEDGER_PAGE)


def all_entries(station_id: int):
    """Every entry of the station, oldest first, for the downloads."""
    return db.session.scalars(ledger_select(station_id).order_by(None).order_by(CreditEntry.id))


def station_outstanding(station_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CreditEntry.hundredths), 0)).where(
            CreditEntry.station_id == station_id
        )
    )


def source_labels(entries: list[CreditEntry]) -> dict[int, str]:
    """What earned each entry (entry id → "shift title, time" or the task's kind), in two queries."""
    ids = {kind: {e.source_id for e in entries if e.source_kind == kind} for kind in SourceKind}
    shifts = (
        {
            assignment_id: f"{shift.title} · {shift_time(shift)}"
            for assignment_id, shift in db.session.execute(
                sa.select(Assignment.id, Shift)
                .join(Shift, Shift.id == Assignment.shift_id)
                .where(Assignment.id.in_(ids[SourceKind.ASSIGNMENT]))
            )
        }
        if ids[SourceKind.ASSIGNMENT]
        else {}
    )
    tasks = (
        dict(db.session.execute(sa.select(Task.id, Task.kind).where(Task.id.in_(ids[SourceKind.TASK]))).all())
        if ids[SourceKind.TASK]
        else {}
    )
    labels = {}
    for entry in entries:
        if entry.source_kind == SourceKind.ASSIGNMENT:
            labels[entry.id] = shifts.get(entry.source_id, "")
        elif entry.source_kind == SourceKind.TASK and entry.source_id in tasks:
            labels[entry.id] = tasks[entry.source_id].label
        else:
            labels[entry.id] = entry.note
    return labels


def balances(station_id: int) -> list[tuple[User, int]]:
    """Everyone of the station who has ever had an entry, with their balance, by name."""
    total = sa.func.sum(CreditEntry.hundredths)
    return [
        (user, value)
        for user, value in db.session.execute(
            sa.select(User, total)
            .join(CreditEntry, CreditEntry.user_id == User.id)
            .where(CreditEntry.station_id == station_id)
            .group_by(User.id)
            .order_by(User.display_name, User.id)
        )
    ]


def in_credits(hundredths: int) -> float:
    return hundredths / HUNDREDTHS
