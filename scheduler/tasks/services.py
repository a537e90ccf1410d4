"""Home-visit tasks: the one place where a task changes state.

Every move goes through ``_move``, which checks ``TRANSITIONS``, writes the
history row (who, when, from, to, assignee, note) and announces the move on
``task_moved`` (a resident's request that the task answers follows it there).
The public functions below are the actions people take, and ``new_task`` the one way
a task is born (``planning`` makes them in bulk, ``dispatch`` suggests who goes);
each action checks who may take it, locks the task row first
(``FOR UPDATE`` on PostgreSQL; SQLite transactions already hold the write lock), and
commits. A refused action raises ``RuleViolation`` and changes nothing.

Notes are stored as people typed them; moves the system makes itself carry no note
(the history page explains them), so no text is frozen in one language. Log lines
carry ids only, never a resident's name, address or phone.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import format_datetime
from flask_babel import gettext as _

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    HELD_STATES,
    STAFF_ROLES,
    STATION_ROLES,
    Beneficiary,
    Health,
    Task,
    TaskBatch,
    TaskEvent,
    TaskKind,
    TaskState,
    User,
    VisitRecord,
)
from scheduler.notices import notify
from scheduler.outbox import events, messages
from scheduler.rules import RuleViolation
from scheduler.visits.services import find_or_register

log = logging.getLogger("scheduler.tasks")

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
    answered = task.state == TaskState.ASSIGNED
    task.state = to_state
    task.state_changed_at = now
    if answered:
        events.task_answered(task)
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
    if user.station_id != station_id or not user.active or user.role not in STATION_ROLES:
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
    events.task_assigned(task, assignee, actor)


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
            notify(
                holder,
                _("A task was given to someone else: %(task)s.", task=_task_summary(task)),
                message=messages.task_taken_back(task),
            )
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
    record = VisitRecord(
        station_id=task.station_id,
        health=checklist.health,
        safety_hazard=checklist.safety_hazard,
        needs_help=checklist.needs_help,
        other_concern=checklist.other_concern,
        note=note,
        minutes=minutes,
    )
    record.flagged = record.raises_flag()
    # Attached before the move: receivers of task_moved (the time bank) read the minutes.
    task.visit_record = record
    _move(task, TaskState.DONE, actor, note)
    if record.flagged:
        db.session.flush()
        events.red_flag(task, record.id)
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
        notify(
            holder,
            _("A task of yours was cancelled: %(task)s.", task=_task_summary(task)),
            message=messages.task_cancelled(task),
        )
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


def check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise RuleViolation(_("The end must be after the start."), field="ends_at")


def new_task(
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
    check_window(starts_at, ends_at)
    if assignee is not None:
        _check_assignee(station_id, assignee)
    task = new_task(
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
    check_window(starts_at, ends_at)
    if assignee is not None:
        _check_assignee(station_id, assignee)
    beneficiary = find_or_register(
        station_id=station_id, name=name, building_id=building_id, unit=unit, room=room, phone=phone
    )
    return new_task(
        beneficiary=beneficiary,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        instructions=instructions,
        created_by=created_by,
        assignee=assignee,
    )
