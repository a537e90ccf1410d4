"""Tasks made in bulk: check-alls for a group of residents, and visits that fall due."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

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


def with_open_task(station_id: int, kind: TaskKind, beneficiary_ids: Iterable[int]) -> set[int]:
    """The one rule for "already has an open task": those of ``beneficiary_ids`` with a pending
    task of this kind. Bulk planning skips them, so nobody gets a second visit on the list."""
    ids = list(beneficiary_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Task.beneficiary_id).where(
                Task.station_id == station_id,
                Task.kind == kind,
                Task.state.in_(PENDING_STATES),
                Task.beneficiary_id.in_(ids),
            )
        )
    )


@dataclass
class BulkPlan:
    """What a bulk action would write, shown first: the residents to get a task, and those skipped."""

    to_create: list[Beneficiary]
    skipped: list[Beneficiary]  # they already have an open task of this kind

    def chosen(self, previewed_ids: set[int] | None) -> list[Beneficiary]:
        """The residents to write for: the preview's, of those still valid now (all when no preview)."""
        if previewed_ids is None:
            return self.to_create
        return [beneficiary for beneficiary in self.to_create if beneficiary.id in previewed_ids]


def _plan(station_id: int, kind: TaskKind, criteria: list, lock: bool) -> BulkPlan:
    """The active residents matching ``criteria``, split by the open-task rule. With ``lock``
    (when writing) they are row-locked before their open tasks are read, so two runs at once
    cannot both create one."""
    query = (
        sa.select(Beneficiary)
        .where(Beneficiary.station_id == station_id, Beneficiary.active.is_(True), *criteria)
        .options(joinedload(Beneficiary.building))
        .order_by(Beneficiary.id)
    )
    if lock:
        query = query.with_for_update(of=Beneficiary)
    candidates = list(db.session.scalars(query).unique())
    busy = with_open_task(station_id, kind, (b.id for b in candidates))
    return BulkPlan(
        to_create=[b for b in candidates if b.id not in busy],
        skipped=[b for b in candidates if b.id in busy],
    )


def plan_check_all(
    station_id: int, selection: BeneficiaryFilter, kind: TaskKind, lock: bool = False
) -> BulkPlan:
    plan = _plan(station_id, kind, list(selection.criteria(utcnow())), lock)
    if not plan.to_create and not plan.skipped:
        raise RuleViolation(_("No resident matches this filter."), field="building_id")
    return plan


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
    previewed_ids: set[int] | None = None,
) -> TaskBatch:
    """One task for every active beneficiary matching ``selection`` who has no open task of this
    kind yet, each given to its building head; with ``previewed_ids``, only for those previewed."""
    services.check_window(starts_at, ends_at)
    beneficiaries = plan_check_all(station_id, selection, kind, lock=True).chosen(previewed_ids)
    if not beneficiaries:
        raise RuleViolation(
            _("No resident matches this filter without an open task already."), field="building_id"
        )
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


def plan_due_visits(station_id: int, now: datetime, lock: bool = False) -> BulkPlan:
    return _plan(station_id, TaskKind.VISIT, [Beneficiary.is_overdue(now)], lock)


def generate_due_visits(
    station_id: int | None = None, now: datetime | None = None, previewed_ids: set[int] | None = None
) -> int:
    """A visit task for each beneficiary whose visit is due and who has none pending.

    Idempotent: run it twice and the second run finds every due resident already has a
    pending visit. The candidates are row-locked first and the pending visits read after,
    so two runs at once (the daily cron and a staff button) cannot both create one. From the
    staff button, ``previewed_ids`` limits it to the residents its preview showed.
    """
    now = now or utcnow()
    station_ids = (
        [station_id]
        if station_id is not None
        else db.session.scalars(sa.select(Station.id).where(Station.active.is_(True))).all()
    )
    created = 0
    for current_station in station_ids:
        needing = plan_due_visits(current_station, now, lock=True).chosen(previewed_ids)
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
