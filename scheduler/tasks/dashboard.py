"""What the secretary sees at a glance. Read-only, a fixed number of queries whatever the rows.

Each list on the dashboard is defined here once; the compact /me section counts the
same lists, so the two can never disagree.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    PENDING_STATES,
    Beneficiary,
    Task,
    TaskBatch,
    TaskKind,
    TaskState,
    VisitRecord,
)
from scheduler.navigation import built_once_per_request

RECENT_BATCHES = 5


def end_of_local_day(now: datetime) -> datetime:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), zone).astimezone(UTC)


@dataclass
class BatchProgress:
    batch: TaskBatch
    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return self.counts[TaskState.DONE] + self.counts[TaskState.CANCELLED]


def batch_progress(batches: list[TaskBatch]) -> list[BatchProgress]:
    progress = {batch.id: BatchProgress(batch) for batch in batches}
    if progress:
        rows = db.session.execute(
            sa.select(Task.batch_id, Task.state, sa.func.count())
            .where(Task.batch_id.in_(progress))
            .group_by(Task.batch_id, Task.state)
        )
        for batch_id, state, count in rows:
            progress[batch_id].counts[state] = count
    return list(progress.values())


@dataclass
class Dashboard:
    now: datetime
    today: list[Task]  # pending, window begun by the end of today; overdue ones included
    unassigned: list[Task]
    waiting: list[Task]  # assigned longer ago than the configured hours, not yet accepted
    declined: list[Task]
    flagged: list[VisitRecord]
    not_visited: list[Beneficiary]
    planned_visit: dict[int, Task]  # beneficiary id -> their pending visit task
    batches: list[BatchProgress]

    def counts(self) -> dict[str, int]:
        return {
            "today": len(self.today),
            "overdue": sum(task.is_overdue(self.now) for task in self.today),
            "unassigned": len(self.unassigned),
            "waiting": len(self.waiting),
            "declined": len(self.declined),
            "flagged": len(self.flagged),
            "not_visited": len(self.not_visited),
        }


# Built once: the secretary's /me reads the dashboard at every visit. Parameters: station_id, now.
_STATION, _NOW = sa.bindparam("station_id"), sa.bindparam("now")
_PENDING = (
    sa.select(Task)
    .where(Task.station_id == _STATION, Task.state.in_(PENDING_STATES))
    .options(
        joinedload(Task.beneficiary).joinedload(Beneficiary.building),
        joinedload(Task.assignee),
        selectinload(Task.events),
    )
    .order_by(Task.starts_at, Task.id)
)
_FLAGGED = (
    sa.select(VisitRecord)
    .where(
        VisitRecord.station_id == _STATION,
        VisitRecord.flagged.is_(True),
        VisitRecord.handled_at.is_(None),
    )
    .options(
        joinedload(VisitRecord.task).joinedload(Task.beneficiary).joinedload(Beneficiary.building),
        joinedload(VisitRecord.task).joinedload(Task.assignee),
    )
    .order_by(VisitRecord.recorded_at)
)
_NOT_VISITED = (
    sa.select(Beneficiary)
    .where(
        Beneficiary.station_id == _STATION,
        Beneficiary.is_overdue(_NOW),
    )
    .options(joinedload(Beneficiary.building))
    .order_by(Beneficiary.visit_due_at, Beneficiary.id)
)
_RECENT_BATCHES = (
    sa.select(TaskBatch)
    .where(TaskBatch.station_id == _STATION)
    .order_by(TaskBatch.created_at.desc(), TaskBatch.id.desc())
    .limit(RECENT_BATCHES)
)


def build_dashboard(station_id: int, now: datetime) -> Dashboard:
    station = {"station_id": station_id}
    pending = db.session.scalars(_PENDING, station).all()
    day_end = end_of_local_day(now)
    accept_by = now - timedelta(hours=current_app.config["TASK_ACCEPT_WITHIN_HOURS"])
    flagged = db.session.scalars(_FLAGGED, station).all()
    not_visited = db.session.scalars(_NOT_VISITED, {**station, "now": now}).all()
    batches = db.session.scalars(_RECENT_BATCHES, station).all()
    return Dashboard(
        now=now,
        today=[task for task in pending if task.starts_at < day_end],
        unassigned=[task for task in pending if task.state == TaskState.OPEN],
        waiting=[
            task
            for task in pending
            if task.state == TaskState.ASSIGNED and task.state_changed_at <= accept_by
        ],
        declined=[task for task in pending if task.state == TaskState.DECLINED],
        flagged=flagged,
        not_visited=not_visited,
        planned_visit={task.beneficiary_id: task for task in pending if task.kind == TaskKind.VISIT},
        batches=batch_progress(batches),
    )


def station_dashboard(station_id: int) -> Dashboard:
    """The dashboard as of now, built once per request: /me's urgent block and its glance both read it."""
    return built_once_per_request(
        "station_dashboards", station_id, lambda: build_dashboard(station_id, utcnow())
    )
