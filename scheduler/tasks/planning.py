"""Tasks made in bulk: check-alls for a group of residents, and visits that fall due."""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    PENDING_STATES,
    Beneficiary,
    Station,
    Task,
    TaskBatch,
    TaskKind,
    User,
)
from scheduler.rules import RuleViolation
from scheduler.tasks import services
from scheduler.tasks.dispatch import building_heads
from scheduler.visits.services import BeneficiaryFilter

log = logging.getLogger("scheduler.tasks")

# A visit that falls due may happen any time in the next three days.
PLANNED_VISIT_WINDOW = timedelta(days=3)


def check_all(
    *,
    station_id: int,
    actor: User,
    title: str,
    selection: BeneficiaryFilter,
    kind: TaskKind,
    starts_at: datetime,
    ends_at: datetime,
    instructions: str = "",
) -> TaskBatch:
    """One task for every active beneficiary matching ``selection``, each given to its building head."""
    services.check_window(starts_at, ends_at)
    beneficiaries = db.session.scalars(
        sa.select(Beneficiary)
        .where(
            Beneficiary.station_id == station_id,
            Beneficiary.active.is_(True),
            *selection.criteria(utcnow()),
        )
        .order_by(Beneficiary.id)
    ).all()
    if not beneficiaries:
        raise RuleViolation(_("No resident matches this filter."), field="building_id")
    heads = building_heads(station_id, (b.building_id for b in beneficiaries))
    batch = TaskBatch(
        station_id=station_id,
        title=title,
        building_id=selection.building_id,
        lives_alone_only=selection.lives_alone,
        overdue_only=selection.overdue,
        created_by_id=actor.id,
    )
    db.session.add(batch)
    for beneficiary in beneficiaries:
        services.new_task(
            beneficiary=beneficiary,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            instructions=instructions,
            created_by=actor,
            assignee=heads.get(beneficiary.building_id),
            batch=batch,
        )
    db.session.commit()
    log.info("check-all %s: %s tasks by user %s", batch.id, len(beneficiaries), actor.id)
    return batch


def generate_due_visits(station_id: int | None = None, now: datetime | None = None) -> int:
    """A visit task for each beneficiary whose visit is due and who has none pending.

    Idempotent: run it twice and the second run finds every due resident already has a
    pending visit. The candidates are row-locked first and the pending visits read after,
    so two runs at once (the daily cron and a staff button) cannot both create one.
    """
    now = now or utcnow()
    station_ids = (
        [station_id]
        if station_id is not None
        else db.session.scalars(sa.select(Station.id).where(Station.active.is_(True))).all()
    )
    created = 0
    for current_station in station_ids:
        due = db.session.scalars(
            sa.select(Beneficiary)
            .where(
                Beneficiary.station_id == current_station,
                Beneficiary.active.is_(True),
                Beneficiary.visit_due_at <= now,
            )
            .order_by(Beneficiary.id)
            .with_for_update()
        ).all()
        pending = set(
            db.session.scalars(
                sa.select(Task.beneficiary_id).where(
                    Task.station_id == current_station,
                    Task.kind == TaskKind.VISIT,
                    Task.state.in_(PENDING_STATES),
                    Task.beneficiary_id.in_([b.id for b in due]),
                )
            )
        )
        needing = [beneficiary for beneficiary in due if beneficiary.id not in pending]
        heads = building_heads(current_station, (b.building_id for b in needing))
        starts_at = now.replace(minute=0, second=0, microsecond=0)
        for beneficiary in needing:
            services.new_task(
                beneficiary=beneficiary,
                kind=TaskKind.VISIT,
                starts_at=starts_at,
                ends_at=starts_at + PLANNED_VISIT_WINDOW,
                instructions="",
                created_by=None,
                assignee=heads.get(beneficiary.building_id),
            )
        db.session.commit()
        created += len(needing)
    log.info("generate-visits: %s visit tasks created", created)
    return created


# Dispatch ------------------------------------------------------------------------
