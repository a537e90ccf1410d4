"""Who to send: building heads, who is busy when, and the dispatch picker's suggestions."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import (
    HELD_STATES,
    STATION_ROLES,
    Assignment,
    Kind,
    Role,
    Shift,
    Task,
    User,
)


def building_heads(station_id: int, building_ids: Iterable[int]) -> dict[int, User]:
    """The active building head of each building (the longest-standing one if several)."""
    heads = db.session.scalars(
        sa.select(User)
        .where(
            User.station_id == station_id,
            User.active.is_(True),
            User.kind == Kind.BUILDING_HEAD,
            User.role.in_(STATION_ROLES),
            User.building_id.in_(set(building_ids)),
        )
        .order_by(User.id)
    )
    first_head: dict[int, User] = {}
    for head in heads:
        first_head.setdefault(head.building_id, head)
    return first_head


def busy_user_ids(
    station_id: int, start: datetime, end: datetime, exclude_task_id: int | None = None
) -> set[int]:
    """Everyone of the station holding a task or a shift place that overlaps [start, end).

    The one definition of "not free" for the dispatch picker (and, span by span, for auto-fill).
    """
    return {user_id for user_id, _starts, _ends in busy_spans(station_id, start, end, exclude_task_id)}


def busy_spans(
    station_id: int, start: datetime, end: datetime, exclude_task_id: int | None = None
) -> list[tuple[int, datetime, datetime]]:
    """(person, start, end) of every task and shift place held overlapping [start, end); two queries."""
    query = sa.select(Task.assignee_id, Task.starts_at, Task.ends_at).where(
        Task.station_id == station_id,
        Task.state.in_(HELD_STATES),
        Task.assignee_id.is_not(None),
        Task.starts_at < end,
        Task.ends_at > start,
    )
    if exclude_task_id is not None:
        query = query.where(Task.id != exclude_task_id)
    on_shifts = Assignment.places_held_between(station_id, start, end).with_only_columns(
        Assignment.user_id, Shift.starts_at, Shift.ends_at
    )
    return [tuple(row) for row in db.session.execute(query)] + [
        tuple(row) for row in db.session.execute(on_shifts)
    ]


@dataclass(frozen=True)
class Candidate:
    user: User
    building_head: bool
    busy: bool
    load: int  # tasks they hold now


def dispatch_candidates(task: Task) -> list[Candidate]:
    """Who to suggest for a task: see ``candidates_for``; its holder is not suggested again."""
    return candidates_for(
        task.station_id,
        task.beneficiary.building_id,
        task.starts_at,
        task.ends_at,
        task_id=task.id,
        holder_id=task.assignee_id,
    )


def candidates_for(
    station_id: int,
    building_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    task_id: int | None = None,
    holder_id: int | None = None,
) -> list[Candidate]:
    """The resident's building head(s) first, then volunteers free in the window, least busy first."""
    query = sa.select(User).where(
        User.station_id == station_id, User.active.is_(True), User.role == Role.VOLUNTEER
    )
    if holder_id is not None:
        query = query.where(User.id != holder_id)
    volunteers = db.session.scalars(query.order_by(User.display_name)).all()
    busy = busy_user_ids(station_id, starts_at, ends_at, exclude_task_id=task_id)
    loads = dict(
        db.session.execute(
            sa.select(Task.assignee_id, sa.func.count())
            .where(Task.station_id == station_id, Task.state.in_(HELD_STATES))
            .group_by(Task.assignee_id)
        ).all()
    )
    heads = [u for u in volunteers if u.kind == Kind.BUILDING_HEAD and u.building_id == building_id]
    free = sorted(
        (u for u in volunteers if u not in heads and u.id not in busy),
        key=lambda u: loads.get(u.id, 0),
    )
    return [Candidate(u, True, u.id in busy, loads.get(u.id, 0)) for u in heads] + [
        Candidate(u, False, False, loads.get(u.id, 0)) for u in free
    ]
