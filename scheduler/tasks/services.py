"""Home-visit tasks: the one place where a task changes state.

Every move goes through ``_move``, which checks ``TRANSITIONS``, writes the
history row (who, when, from, to, assignee, note) and announces the move on
``task_moved`` (a resident's request that the task answers follows it there). The public functions below are
the actions people take; each checks who may take it, locks the task row first
(``FOR UPDATE`` on PostgreSQL; SQLite transactions already hold the write lock), and
commits. A refused action raises ``RuleViolation`` and changes nothing.

Notes are stored as people typed them; moves the system makes itself carry no note
(the history page explains them), so no text is frozen in one language. Log lines
carry ids only, never a resident's name, address or phone.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import format_datetime
from flask_babel import gettext as _

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    HELD_STATES,
    PENDING_STATES,
    STAFF_ROLES,
    Assignment,
    Beneficiary,
    Health,
    Kind,
    Role,
    Station,
    Task,
    TaskBatch,
    TaskEvent,
    TaskKind,
    TaskState,
    User,
    VisitRecord,
)
from scheduler.notices import notify
from scheduler.rules import RuleViolation
from scheduler.shifts.queries import places_held_between
from scheduler.visits.services import BeneficiaryFilter, find_or_register

log = logging.getLogger("scheduler.tasks")

ASSIGNABLE_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.VOLUNTEER)
PLANNED_VISIT_WINDOW = timedelta(days=3)
MAX_MINUTES = 600
NOTE_LENGTH = 500


# The state machine -----------------------------------------------------------

# Sent by ``_move`` with the task (already in its new state) and ``actor``, inside the
# mover's transaction: receivers add to it and never commit. Other areas listen here
# rather than being called from here, so that tasks depend on no area built on them.
task_moved = Namespace().signal("task-moved")


def _move(task: Task, to_state: TaskState, actor: User | None, note: str = "") -> None:
    """The only assignment to ``task.state``: legal moves only, each one recorded."""
    if not task.can_move_to(to_state):
        raise RuleViolation(
            _(
                "This task is “%(state)s” now, so it cannot become “%(target)s”.",
                state=task.state.label,
                target=to_state.label,
            )
        )
    now = utcnow()
    db.session.add(
        TaskEvent(
            task_id=task.id,
            actor_id=actor.id if actor else None,
            assignee_id=task.assignee_id,
            at=now,
            from_state=task.state,
            to_state=to_state,
            note=note,
        )
    )
    log.info(
        "task %s: %s -> %s by user %s", task.id, task.state.value, to_state.value, actor.id if actor else "-"
    )
    task.state = to_state
    task.state_changed_at = now
    task_moved.send(task, actor=actor)


def _lock(task: Task) -> Task:
    """The task's current row, locked until commit, so that two people cannot both move it."""
    return db.session.scalars(
        sa.select(Task).where(Task.id == task.id).with_for_update().execution_options(populate_existing=True)
    ).one()


def _require_staff(task: Task, actor: User) -> None:
    if actor.role not in STAFF_ROLES or actor.station_id != task.station_id:
        raise RuleViolation(_("Only the station's staff can do this."))


def _require_assignee(task: Task, actor: User) -> None:
    if task.assignee_id != actor.id:
        raise RuleViolation(_("This task is not yours."))


def _required_text(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise RuleViolation(message, field=field)
    if len(text) > NOTE_LENGTH:
        raise RuleViolation(_("Keep it under %(count)s characters.", count=NOTE_LENGTH), field=field)
    return text


def _check_assignee(station_id: int, user: User) -> None:
    if user.station_id != station_id or not user.active or user.role not in ASSIGNABLE_ROLES:
        raise RuleViolation(_("Choose an active member of this station."), field="assignee_id")


def _release(task: Task, actor: User, to_state: TaskState, note: str) -> User | None:
    """Move a held task away from its volunteer, who loses sight of the resident at once."""
    holder = db.session.get(User, task.assignee_id) if task.assignee_id else None
    _move(task, to_state, actor, note)
    task.assignee_id = None
    return holder


def _give(task: Task, assignee: User, actor: User | None) -> None:
    task.assignee_id = assignee.id
    _move(task, TaskState.ASSIGNED, actor)


def _task_summary(task: Task) -> str:
    """Kind, building and date: enough for a notice, and no personal data."""
    when = format_datetime(task.starts_at, "MM-dd HH:mm")
    return f"{task.kind.label} · {task.beneficiary.building.name} · {when}"


def assign(task: Task, assignee: User, actor: User) -> Task:
    """Staff give a task to someone; a declined task reopens, a held one is taken back first."""
    task = _lock(task)
    _require_staff(task, actor)
    _check_assignee(task.station_id, assignee)
    if task.assignee_id == assignee.id and task.state in HELD_STATES:
        raise RuleViolation(_("%(name)s already has this task.", name=assignee.display_name))
    if task.state in HELD_STATES:
        holder = _release(task, actor, TaskState.DECLINED, note="")
        if holder is not None:
            notify(holder, _("A task was given to someone else: %(task)s.", task=_task_summary(task)))
    if task.state == TaskState.DECLINED:
        _move(task, TaskState.OPEN, actor)
    _give(task, assignee, actor)
    db.session.commit()
    return task


def accept(task: Task, actor: User) -> Task:
    task = _lock(task)
    _require_assignee(task, actor)
    _move(task, TaskState.ACCEPTED, actor)
    db.session.commit()
    return task


def decline(task: Task, actor: User, reason: str) -> Task:
    """The volunteer gives the task back (or staff take it back), with a reason."""
    task = _lock(task)
    if task.assignee_id != actor.id:
        _require_staff(task, actor)
    reason = _required_text(reason, "reason", _("Say briefly why, so the station can plan."))
    _release(task, actor, TaskState.DECLINED, reason)
    db.session.commit()
    return task


@dataclass(frozen=True)
class Checklist:
    """What the volunteer found: the structured part of a visit record."""

    health: Health
    safety_hazard: bool = False
    needs_help: bool = False
    other_concern: bool = False


def complete(task: Task, actor: User, checklist: Checklist, note: str, minutes: int | None) -> Task:
    """Done: the visit record is kept, and a flagged one waits on the dashboard."""
    task = _lock(task)
    _require_assignee(task, actor)
    note = _required_text(note, "note", _("Write a short note about the visit."))
    if minutes is None or not 1 <= minutes <= MAX_MINUTES:
        raise RuleViolation(
            _("Enter the minutes spent, from 1 to %(max)s.", max=MAX_MINUTES), field="minutes"
        )
    _move(task, TaskState.DONE, actor, note)
    record = VisitRecord(
        station_id=task.station_id,
        task_id=task.id,
        health=checklist.health,
        safety_hazard=checklist.safety_hazard,
        needs_help=checklist.needs_help,
        other_concern=checklist.other_concern,
        note=note,
        minutes=minutes,
    )
    record.flagged = record.raises_flag()
    db.session.add(record)
    # Every done task records the wellbeing checklist at the door, so each counts as a visit.
    task.beneficiary.note_visit(utcnow())
    db.session.commit()
    return task


def cancel(task: Task, actor: User, reason: str) -> Task:
    task = _lock(task)
    _require_staff(task, actor)
    reason = _required_text(reason, "reason", _("Say briefly why the task is cancelled."))
    holder = _release(task, actor, TaskState.CANCELLED, reason)
    if holder is not None and holder.id != actor.id:
        notify(holder, _("A task of yours was cancelled: %(task)s.", task=_task_summary(task)))
    db.session.commit()
    return task


def reopen(task: Task, actor: User) -> Task:
    """A declined task goes back to the pool of open tasks."""
    task = _lock(task)
    _require_staff(task, actor)
    _move(task, TaskState.OPEN, actor)
    db.session.commit()
    return task


def claim(task: Task, actor: User) -> Task:
    """A volunteer takes an "anyone may take" task; the first claim wins, later ones are refused."""
    task = _lock(task)
    if not task.open_to_claim or actor.station_id != task.station_id:
        raise RuleViolation(_("This task is not open for volunteers to take."))
    if task.state != TaskState.OPEN:
        if task.assignee_id is not None:
            raise RuleViolation(_("Someone else took this task first."))
        raise RuleViolation(_("This task is no longer open to take."))
    _check_assignee(task.station_id, actor)
    _give(task, actor, actor)
    _move(task, TaskState.ACCEPTED, actor)
    db.session.commit()
    return task


def set_open_to_claim(task: Task, actor: User, open_to_claim: bool) -> Task:
    task = _lock(task)
    _require_staff(task, actor)
    if task.is_final:
        raise RuleViolation(_("This task is finished."))
    task.open_to_claim = open_to_claim
    db.session.commit()
    return task


def handle_flag(record: VisitRecord, actor: User, note: str) -> VisitRecord:
    """Someone at the station has followed up what a visit found; the flag leaves the dashboard."""
    if actor.role not in STAFF_ROLES or actor.station_id != record.station_id:
        raise RuleViolation(_("Only the station's staff can do this."))
    note = _required_text(note, "note", _("Write what was done about it."))
    updated = db.session.execute(
        sa.update(VisitRecord)
        .where(VisitRecord.id == record.id, VisitRecord.handled_at.is_(None))
        .values(handled_at=utcnow(), handled_by_id=actor.id, handling_note=note)
    )
    if updated.rowcount != 1:
        db.session.rollback()
        raise RuleViolation(_("Someone has already handled this."))
    db.session.commit()
    return record


# Creating tasks ----------------------------------------------------------------


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise RuleViolation(_("The end must be after the start."), field="ends_at")


def _new_task(
    *,
    beneficiary: Beneficiary,
    kind: TaskKind,
    starts_at: datetime,
    ends_at: datetime,
    instructions: str,
    created_by: User | None,
    open_to_claim: bool = False,
    assignee: User | None = None,
    batch: TaskBatch | None = None,
) -> Task:
    """Add a task in the caller's transaction: created open, then given to ``assignee`` if any."""
    task = Task(
        station_id=beneficiary.station_id,
        beneficiary=beneficiary,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        instructions=instructions,
        open_to_claim=open_to_claim,
        created_by_id=created_by.id if created_by else None,
        batch=batch,
    )
    db.session.add(task)
    db.session.flush()
    db.session.add(
        TaskEvent(
            task_id=task.id,
            actor_id=task.created_by_id,
            from_state=None,
            to_state=TaskState.OPEN,
            at=utcnow(),
        )
    )
    if assignee is not None:
        _give(task, assignee, created_by)
    return task


def create_task(
    *,
    station_id: int,
    beneficiary: Beneficiary,
    kind: TaskKind,
    starts_at: datetime,
    ends_at: datetime,
    instructions: str = "",
    created_by: User,
    open_to_claim: bool = False,
    assignee: User | None = None,
) -> Task:
    """One task for one beneficiary, by staff."""
    if beneficiary.station_id != station_id or not beneficiary.active:
        raise RuleViolation(
            _("Choose a resident of this station who receives visits."), field="beneficiary_id"
        )
    _check_window(starts_at, ends_at)
    if assignee is not None:
        _check_assignee(station_id, assignee)
    task = _new_task(
        beneficiary=beneficiary,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        instructions=instructions,
        created_by=created_by,
        open_to_claim=open_to_claim,
        assignee=assignee,
    )
    db.session.commit()
    return task


def add_task_for_resident(
    *,
    station_id: int,
    created_by: User,
    name: str,
    building_id: int,
    unit: str,
    room: str,
    phone: str,
    kind: TaskKind,
    starts_at: datetime,
    ends_at: datetime,
    instructions: str = "",
    assignee: User | None = None,
) -> Task:
    """A task from what a resident asked for themselves, in one step; the caller commits.

    The resident is found in the register by name and address, or registered with just
    those details, and the task is added open for dispatch, or given to ``assignee``.
    A resident's service request calls this inside its own transaction, links itself
    to the task and commits once (``scheduler.requests.services.task_from_request``).
    """
    _check_window(starts_at, ends_at)
    if assignee is not None:
        _check_assignee(station_id, assignee)
    beneficiary = find_or_register(
        station_id=station_id, name=name, building_id=building_id, unit=unit, room=room, phone=phone
    )
    return _new_task(
        beneficiary=beneficiary,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        instructions=instructions,
        created_by=created_by,
        assignee=assignee,
    )


def building_heads(station_id: int, building_ids: Iterable[int]) -> dict[int, User]:
    """The active building head of each building (the longest-standing one if several)."""
    heads = db.session.scalars(
        sa.select(User)
        .where(
            User.station_id == station_id,
            User.active.is_(True),
            User.kind == Kind.BUILDING_HEAD,
            User.role.in_(ASSIGNABLE_ROLES),
            User.building_id.in_(set(building_ids)),
        )
        .order_by(User.id)
    )
    first_head: dict[int, User] = {}
    for head in heads:
        first_head.setdefault(head.building_id, head)
    return first_head


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
    _check_window(starts_at, ends_at)
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
        _new_task(
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
            _new_task(
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


def busy_user_ids(
    station_id: int, start: datetime, end: datetime, exclude_task_id: int | None = None
) -> set[int]:
    """Everyone of the station holding a task or a shift place that overlaps [start, end).

    The one definition of "not free" for the dispatch picker.
    """
    query = sa.select(Task.assignee_id).where(
        Task.station_id == station_id,
        Task.state.in_(HELD_STATES),
        Task.starts_at < end,
        Task.ends_at > start,
    )
    if exclude_task_id is not None:
        query = query.where(Task.id != exclude_task_id)
    on_tasks = {user_id for user_id in db.session.scalars(query) if user_id is not None}
    on_shifts = set(
        db.session.scalars(places_held_between(station_id, start, end).with_only_columns(Assignment.user_id))
    )
    return on_tasks | on_shifts


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
