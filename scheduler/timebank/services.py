"""The time bank's rules: what a place or a task earns, redeeming, and the rates.

The ledger is append-only (see ``scheduler.models.timebank``). Earning is settled, not
posted: ``settle(source)`` works out what a place on a shift or a task should have earned
by now, compares it with the entries it already has, and appends the difference. So it
can be called any number of times (idempotent), and a correction of attendance takes
back what no longer counts with a reversal entry instead of an edit.

The balance cannot go below zero through a redemption: ``redeem`` locks the person's row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's BEGIN IMMEDIATE write lock already
serialises writers) and reads the balance under that lock. A reversal is the one entry
allowed to take a balance below zero: credit earned by a place that turns out to be a
no-show is taken back even if it was spent; until earned again, nothing can be redeemed.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _

from scheduler.extensions import db
from scheduler.models import (
    DEFAULT_RATE,
    HUNDREDTHS,
    Assignment,
    AssignmentState,
    CreditEntry,
    CreditRate,
    EntryKind,
    ShiftKind,
    SourceKind,
    Task,
    TaskKind,
    TaskState,
    User,
)
from scheduler.rules import RuleViolation

MAX_REDEMPTION = 1000 * HUNDREDTHS
MAX_RATE = 100 * HUNDREDTHS


def work_kinds() -> list[tuple[str, str]]:
    """Every kind of work that earns credit, as (key, label): shift kinds, then task kinds."""
    return [(f"shift:{kind.value}", kind.label) for kind in ShiftKind] + [
        (f"task:{kind.value}", kind.label) for kind in TaskKind
    ]


def work_of(source: Assignment | Task) -> str:
    if isinstance(source, Assignment):
        return f"shift:{source.shift.kind.value}"
    return f"task:{source.kind.value}"


def rates(station_id: int) -> dict[str, int]:
    """Credits per hour (in hundredths) for every kind of work; the default where none is set."""
    chosen = dict(
        db.session.execute(
            sa.select(CreditRate.work, CreditRate.per_hour).where(CreditRate.station_id == station_id)
        ).all()
    )
    return {work: chosen.get(work, DEFAULT_RATE) for work, _label in work_kinds()}


def set_rates(station_id: int, per_hour: dict[str, int]) -> None:
    known = dict(work_kinds())
    for work, value in per_hour.items():
        if work not in known:
            raise RuleViolation(_("Unknown kind of work."))
        if not 0 <= value <= MAX_RATE:
            raise RuleViolation(_("A rate is from 0 to 100 credits an hour."), field=work)
    try:
        existing = {
            rate.work: rate
            for rate in db.session.scalars(sa.select(CreditRate).where(CreditRate.station_id == station_id))
        }
        for work, value in per_hour.items():
            rate = existing.get(work)
            if rate is None and value != DEFAULT_RATE:
                db.session.add(CreditRate(station_id=station_id, work=work, per_hour=value))
            elif rate is not None:
                rate.per_hour = value  # an unchanged value leaves the public rules page's version alone
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


# Earning ----------------------------------------------------------------------------------


def _earned_seconds(source: Assignment | Task) -> tuple[int | None, float]:
    """(who earns, seconds of work that count) for the source as it stands now."""
    if isinstance(source, Assignment):
        shift = source.shift
        counts = source.state == AssignmentState.ATTENDED and not shift.cancelled
        return source.user_id, shift.duration.total_seconds() if counts else 0
    record = source.visit_record
    if source.state == TaskState.DONE and record is not None and source.assignee_id is not None:
        return source.assignee_id, record.minutes * 60
    return source.assignee_id, 0


def _source_key(source: Assignment | Task) -> tuple[SourceKind, int]:
    return (SourceKind.ASSIGNMENT if isinstance(source, Assignment) else SourceKind.TASK), source.id


def _rate_for(source: Assignment | Task, of_source) -> int:
    """The rate of the source's first earning, else today's rate for its kind of work."""
    first = db.session.scalar(
        sa.select(CreditEntry.per_hour)
        .where(*of_source, CreditEntry.kind == EntryKind.EARN)
        .order_by(CreditEntry.id)
        .limit(1)
    )
    return first if first is not None else rates(source.station_id)[work_of(source)]


def settle(source: Assignment | Task) -> list[CreditEntry]:
    """Append what ``source`` should have earned minus what it has; nothing when they agree.

    The caller holds the source's lock (the shift's or the task's) and commits.
    """
    source_kind, source_id = _source_key(source)
    of_source = (CreditEntry.source_kind == source_kind, CreditEntry.source_id == source_id)
    earner_id, seconds = _earned_seconds(source)
    per_hour = _rate_for(source, of_source) if seconds else None
    owed = {earner_id: round(seconds * per_hour / 3600)} if seconds and earner_id is not None else {}
    booked = dict(
        db.session.execute(
            sa.select(CreditEntry.user_id, sa.func.sum(CreditEntry.hundredths))
            .where(*of_source)
            .group_by(CreditEntry.user_id)
        ).all()
    )
    appended = []
    for user_id in sorted(set(owed) | set(booked)):
        difference = owed.get(user_id, 0) - (booked.get(user_id) or 0)
        if difference:
            entry = CreditEntry(
                station_id=source.station_id,
                user_id=user_id,
                kind=EntryKind.EARN if difference > 0 else EntryKind.REVERSAL,
                hundredths=difference,
                source_kind=source_kind,
                source_id=source_id,
                per_hour=per_hour,
            )
            db.session.add(entry)
            appended.append(entry)
    db.session.flush()
    return appended


def settle_all(sources: Iterable[Assignment | Task]) -> None:
    for source in sources:
        settle(source)


# Balances and redeeming -----------------------------------------------------------------------


def balance(user_id: int) -> int:
    """The person's credits now, in hundredths."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CreditEntry.hundredths), 0)).where(
            CreditEntry.user_id == user_id
        )
    )


def redeem(station_id: int, user_id: int, hundredths: int, what_for: str, by: User) -> CreditEntry:
    """Spend ``hundredths`` of the person's credits on ``what_for``; never more than they have."""
    what_for = what_for.strip()
    try:
        if not what_for:
            raise RuleViolation(_("Say what the credits are spent on."), field="what_for")
        if not 0 < hundredths <= MAX_REDEMPTION:
            raise RuleViolation(_("Enter from 0.01 to 1000 credits."), field="credits")
        person = db.session.scalar(
            sa.select(User)
            .where(User.id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if person is None or person.station_id != station_id:
            raise RuleViolation(_("Choose a person of this station."), field="user_id")
        available = balance(person.id)
        if hundredths > available:
            raise RuleViolation(
                _(
                    "%(name)s has %(balance)s credits; that is not enough for %(wanted)s.",
                    name=person.display_name,
                    balance=credits_text(available),
                    wanted=credits_text(hundredths),
                ),
                field="credits",
            )
        entry = CreditEntry(
            station_id=station_id,
            user_id=person.id,
            kind=EntryKind.REDEEM,
            hundredths=-hundredths,
            note=what_for,
            recorded_by_id=by.id,
        )
        db.session.add(entry)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return entry


def credits_text(hundredths: int) -> str:
    """12, 0.75, -3.5: credits as people write them."""
    return f"{hundredths / HUNDREDTHS:.2f}".rstrip("0").rstrip(".")
