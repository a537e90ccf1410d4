"""Retention of personal data (PIPL: keep it no longer than its purpose needs).

Three rules, run by ``flask retention`` (daily from cron), each at a configurable age:

1. A resident's request closed (done or turned down) more than ``REQUEST_RETENTION_DAYS``
   ago (default 365) loses the resident's name, phone, unit/room, details, preferred
   time, rating comment and decline reason. It keeps its service, building, state,
   dates and rating: what the monthly report and the ratings count.
2. A resident out of care (not active) for more than ``CARE_RETENTION_DAYS`` (default
   365) keeps the row, so that past months' visit counts stay right, but loses the name
   (it becomes "#<id>"), unit, room, phone, emergency contact (name, relation, phone),
   year of birth, "lives alone" and care notes; the tasks for them lose their
   instructions and history notes, their visit records the notes (kind, dates, minutes
   and flags stay). ``erased_at`` records when.
3. The access log keeps ``ACCESS_LOG_RETENTION_DAYS`` (default 1096, three years); older
   rows are deleted.

Each rule is one set-based statement (no row-by-row loop), all in one transaction.
Ages are measured from the moment the request closed, the resident left care, or the
record was viewed; a row exactly at the limit stays. Backups keep erased data until they
roll over (README: Backups).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Beneficiary,
    BeneficiaryAccess,
    RequestState,
    ServiceRequest,
    Task,
    TaskEvent,
    VisitRecord,
)

log = logging.getLogger("scheduler.retention")

# What a closed request loses; the rest (service, building, state, dates, rating) stays.
REQUEST_PERSONAL_FIELDS = (
    "resident_name",
    "phone",
    "unit_room",
    "details",
    "preferred_time",
    "rating_comment",
    "decline_reason",
)
# What a resident out of care loses besides the name (which becomes "#<id>").
BENEFICIARY_PERSONAL_FIELDS = (
    "unit",
    "room",
    "phone",
    "emergency_name",
    "emergency_relation",
    "emergency_phone",
)


@dataclass(frozen=True)
class RetentionCounts:
    requests: int  # closed requests whose personal data goes
    residents: int  # residents out of care whose personal data goes
    access_log: int  # access-log rows deleted


@dataclass(frozen=True)
class Cutoffs:
    requests: datetime  # closed before this
    residents: datetime  # left care before this
    access_log: datetime  # viewed before this

    @classmethod
    def from_config(cls, now: datetime) -> "Cutoffs":
        config = current_app.config
        return cls(
            requests=now - timedelta(days=config["REQUEST_RETENTION_DAYS"]),
            residents=now - timedelta(days=config["CARE_RETENTION_DAYS"]),
            access_log=now - timedelta(days=config["ACCESS_LOG_RETENTION_DAYS"]),
        )


def requests_due(cutoff: datetime):
    closed_before = sa.or_(
        sa.and_(ServiceRequest.state == RequestState.DONE, ServiceRequest.done_at < cutoff),
        sa.and_(ServiceRequest.state == RequestState.DECLINED, ServiceRequest.declined_at < cutoff),
    )
    not_yet_erased = sa.or_(*(getattr(ServiceRequest, field) != "" for field in REQUEST_PERSONAL_FIELDS))
    return sa.and_(closed_before, not_yet_erased)


def residents_due(cutoff: datetime):
    return sa.and_(
        Beneficiary.active.is_(False),
        Beneficiary.left_care_at < cutoff,
        Beneficiary.erased_at.is_(None),
    )


def access_log_due(cutoff: datetime):
    return BeneficiaryAccess.at < cutoff


def count(model, criterion) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(criterion))


def run_retention(now: datetime | None = None, dry_run: bool = False) -> RetentionCounts:
    """Apply the three rules as of ``now`` (or only count what they would touch)."""
    now = now or utcnow()
    cutoffs = Cutoffs.from_config(now)
    due_requests = requests_due(cutoffs.requests)
    due_residents = residents_due(cutoffs.residents)
    due_access = access_log_due(cutoffs.access_log)
    counts = RetentionCounts(
        requests=count(ServiceRequest, due_requests),
        residents=count(Beneficiary, due_residents),
        access_log=count(BeneficiaryAccess, due_access),
    )
    if dry_run:
        db.session.rollback()
        return counts

    update = dict(execution_options={"synchronize_session": False})
    db.session.execute(
        sa.update(ServiceRequest).where(due_requests).values(dict.fromkeys(REQUEST_PERSONAL_FIELDS, "")),
        **update,
    )
    residents = sa.select(Beneficiary.id).where(due_residents).scalar_subquery()
    their_tasks = sa.select(Task.id).where(Task.beneficiary_id.in_(residents)).scalar_subquery()
    # Tasks and their records first: the residents' criterion (not yet erased) still holds.
    db.session.execute(sa.update(Task).where(Task.id.in_(their_tasks)).values(instructions=""), **update)
    db.session.execute(
        sa.update(TaskEvent).where(TaskEvent.task_id.in_(their_tasks)).values(note=""), **update
    )
    db.session.execute(
        sa.update(VisitRecord).where(VisitRecord.task_id.in_(their_tasks)).values(note="", handling_note=""),
        **update,
    )
    db.session.execute(
        sa.update(Beneficiary)
        .where(due_residents)
        .values(
            **dict.fromkeys(BENEFICIARY_PERSONAL_FIELDS, ""),
            name="#" + sa.cast(Beneficiary.id, sa.String),
            birth_year=None,
            lives_alone=False,
            care_notes="",
            erased_at=now,
        ),
        **update,
    )
    db.session.execute(sa.delete(BeneficiaryAccess).where(due_access), **update)
    db.session.commit()
    log.info(
        "retention: %s requests and %s residents erased, %s access-log rows deleted",
        counts.requests,
        counts.residents,
        counts.access_log,
    )
    return counts
