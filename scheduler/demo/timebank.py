"""Demo check-ins at the desk and a time bank history, from the demo's attended shifts and done tasks.

Idempotent: check-in times are set only where none is, earnings are settled (appending
nothing when they agree), and the redemptions are looked up by their purpose first.
"""

import random
from datetime import timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.demo.community import DEMO_STATION_SLUG
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    CreditEntry,
    EntryKind,
    Role,
    Shift,
    Station,
    Task,
    TaskState,
    User,
)
from scheduler.timebank.services import balance, settle_all

# Checked in at the desk for the last week's attended shifts; one came much later than planned.
CHECK_IN_DAYS = 7
REDEMPTIONS = [("给母亲理发（上门理发）", 2), ("家里水龙头维修", 1), ("陪同老人去社区医院", 1.5)]


def seed(password: str) -> None:
    station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
    if station is None:
        return
    _check_ins(station)
    settle_all(
        db.session.scalars(
            sa.select(Assignment).where(
                Assignment.station_id == station.id, Assignment.state == AssignmentState.ATTENDED
            )
        ).all()
    )
    settle_all(
        db.session.scalars(
            sa.select(Task).where(Task.station_id == station.id, Task.state == TaskState.DONE)
        ).all()
    )
    _redemptions(station)
    db.session.commit()


def _check_ins(station: Station) -> None:
    now = utcnow()
    rng = random.Random(11)
    recent = db.session.scalars(
        sa.select(Assignment)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.station_id == station.id,
            Assignment.state == AssignmentState.ATTENDED,
            Assignment.checked_in_at.is_(None),
            Shift.ends_at <= now,
            Shift.starts_at >= now - timedelta(days=CHECK_IN_DAYS),
        )
        .order_by(Shift.starts_at, Assignment.id)
    ).all()
    for index, assignment in enumerate(recent):
        shift = assignment.shift
        late = index == 0  # one note for staff: came 45 minutes after the start
        assignment.checked_in_at = shift.starts_at + timedelta(minutes=45 if late else -rng.randint(2, 15))
        if rng.random() < 0.6:
            assignment.checked_out_at = shift.ends_at + timedelta(minutes=rng.randint(-5, 10))


def _redemptions(station: Station) -> None:
    secretary = db.session.scalar(
        sa.select(User).where(User.station_id == station.id, User.role == Role.ADMIN).order_by(User.id)
    )
    done = set(
        db.session.scalars(
            sa.select(CreditEntry.note).where(
                CreditEntry.station_id == station.id, CreditEntry.kind == EntryKind.REDEEM
            )
        )
    )
    richest = db.session.execute(
        sa.select(CreditEntry.user_id)
        .where(CreditEntry.station_id == station.id)
        .group_by(CreditEntry.user_id)
        .order_by(sa.func.sum(CreditEntry.hundredths).desc(), CreditEntry.user_id)
        .limit(len(REDEMPTIONS))
    ).scalars()
    for user_id, (what_for, credits) in zip(richest, REDEMPTIONS, strict=False):
        hundredths = round(credits * 100)
        if what_for in done or balance(user_id) < hundredths:
            continue
        db.session.add(
            CreditEntry(
                station_id=station.id,
                user_id=user_id,
                kind=EntryKind.REDEEM,
                hundredths=-hundredths,
                note=what_for,
                recorded_by_id=secretary.id if secretary else None,
            )
        )
