"""Home visits: the residents who receive them, their tasks, what a visit found, who looked.

A beneficiary's record is the most sensitive data the system holds, so the models
say who may see what (``Task.is_held_by``) and the task's life cycle
(``TRANSITIONS``); ``scheduler.tasks.services`` is the only code that moves a task.
"""

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models.core import Building, StationScoped, User, enum_column
from scheduler.models.requests import ServiceRequest


class Beneficiary(StationScoped, db.Model):
    """An elderly or vulnerable resident who receives visits. Staff only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id", ondelete="RESTRICT"), index=True)
    unit: Mapped[str] = mapped_column(sa.String(10), default="")
    room: Mapped[str] = mapped_column(sa.String(10), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    emergency_name: Mapped[str] = mapped_column(sa.String(40), default="")
    emergency_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    emergency_relation: Mapped[str] = mapped_column(sa.String(20), default="")
    birth_year: Mapped[int | None]
    lives_alone: Mapped[bool] = mapped_column(default=False)
    care_notes: Mapped[str] = mapped_column(sa.String(500), default="")
    visit_every_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    # When the resident last left care (active became false); retention counts from it.
    left_care_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When retention erased the personal data (``scheduler.retention``); the name is then "#<id>".
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept in step with last_visit_at and visit_every_days so that "overdue" is one indexed
    # comparison on every backend (date arithmetic differs between SQLite and PostgreSQL).
    visit_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    building: Mapped[Building] = relationship()

    @property
    def address(self) -> str:
        """5号楼2单元301: how residents and volunteers write it."""
        return f"{self.building.name}{self.unit}{self.room}"

    def set_in_care(self, active: bool, now: datetime) -> None:
        """Take into care or out of it, noting when the resident left (retention counts from then)."""
        if active:
            self.left_care_at = None
        elif self.active is not False or self.left_care_at is None:
            self.left_care_at = now
        self.active = active

    def refresh_visit_due(self, now: datetime | None = None) -> None:
        """Due one frequency after the last visit; never visited means due now."""
        if self.visit_every_days is None:
            self.visit_due_at = None
        elif self.last_visit_at is None:
            self.visit_due_at = self.visit_due_at or now or utcnow()
        else:
            self.visit_due_at = self.last_visit_at + timedelta(days=self.visit_every_days)

    def note_visit(self, at: datetime) -> None:
        if self.last_visit_at is None or at > self.last_visit_at:
            self.last_visit_at = at
        self.refresh_visit_due()

    @hybrid_method
    def is_overdue(self, now: datetime) -> bool:
        """Due at or before ``now``. One definition for every page, plan and notice: as SQL
        (``Beneficiary.is_overdue(now)``) and on a loaded resident alike."""
        return self.active and self.visit_due_at is not None and self.visit_due_at <= now

    @is_overdue.expression
    def is_overdue(cls, now) -> sa.ColumnElement[bool]:
        return sa.and_(cls.active.is_(True), cls.visit_due_at <= now)


class TaskKind(enum.StrEnum):
    VISIT = "visit"
    MEDICINE = "medicine"
    DISINFECTION = "disinfection"
    REPAIR = "repair"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(TASK_KIND_LABELS[self])


TASK_KIND_LABELS = {
    TaskKind.VISIT: _l("Home visit"),
    TaskKind.MEDICINE: _l("Medicine delivery"),
    TaskKind.DISINFECTION: _l("Disinfection"),
    TaskKind.REPAIR: _l("Repair"),
    TaskKind.OTHER: _l("Other help"),
}


class TaskState(enum.StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(TASK_STATE_LABELS[self])


TASK_STATE_LABELS = {
    TaskState.OPEN: _l("Not yet assigned"),
    TaskState.ASSIGNED: _l("Assigned, not yet accepted"),
    TaskState.ACCEPTED: _l("Accepted"),
    TaskState.DECLINED: _l("Declined"),
    TaskState.DONE: _l("Done"),
    TaskState.CANCELLED: _l("Cancelled"),
}

# The whole life cycle of a task: every allowed move, and no other.
TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.OPEN: frozenset({TaskState.ASSIGNED, TaskState.CANCELLED}),
    TaskState.ASSIGNED: frozenset({TaskState.ACCEPTED, TaskState.DECLINED, TaskState.CANCELLED}),
    TaskState.ACCEPTED: frozenset({TaskState.DONE, TaskState.DECLINED, TaskState.CANCELLED}),
    TaskState.DECLINED: frozenset({TaskState.OPEN, TaskState.CANCELLED}),
    TaskState.DONE: frozenset(),
    TaskState.CANCELLED: frozenset(),
}
# A volunteer holds the task: the only states in which they may see the resident's contact.
HELD_STATES = (TaskState.ASSIGNED, TaskState.ACCEPTED)
PENDING_STATES = (TaskState.OPEN, TaskState.ASSIGNED, TaskState.ACCEPTED, TaskState.DECLINED)


class TaskBatch(StationScoped, db.Model):
    """A check-all: one task for every beneficiary who matched a filter, followed on one page."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(60))
    # The filter it was made with; None/False means "any".
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id", ondelete="SET NULL"))
    lives_alone_only: Mapped[bool] = mapped_column(default=False)
    overdue_only: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()
    building: Mapped[Building | None] = relationship()


# A request may be tried again after its task was cancelled, but never has two tasks under way.
LIVE_TASK_OF_REQUEST = sa.text("service_request_id IS NOT NULL AND state != 'cancelled'")


class Task(StationScoped, db.Model):
    __table_args__ = (
        sa.Index("ix_task_station_id_state", "station_id", "state"),
        sa.Index(
            "uq_task_live_service_request",
            "service_request_id",
            unique=True,
            sqlite_where=LIVE_TASK_OF_REQUEST,
            postgresql_where=LIVE_TASK_OF_REQUEST,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        sa.ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TaskKind] = mapped_column(enum_column(TaskKind))
    state: Mapped[TaskState] = mapped_column(enum_column(TaskState), default=TaskState.OPEN)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    instructions: Mapped[str] = mapped_column(sa.String(500), default="")
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # "Anyone may take": volunteers of the station see it and the first to claim it gets it.
    open_to_claim: Mapped[bool] = mapped_column(default=False)
    batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("task_batch.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # The resident's request this task answers, if it came from one; the request follows its task.
    service_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_request.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    beneficiary: Mapped[Beneficiary] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    batch: Mapped[TaskBatch | None] = relationship()
    service_request: Mapped[ServiceRequest | None] = relationship(back_populates="tasks")
    events: Mapped[list["TaskEvent"]] = relationship(
        back_populates="task", order_by="(TaskEvent.at, TaskEvent.id)", cascade="all, delete-orphan"
    )
    visit_record: Mapped["VisitRecord | None"] = relationship(back_populates="task")

    def can_move_to(self, state: TaskState) -> bool:
        return state in TRANSITIONS[self.state]

    @property
    def is_final(self) -> bool:
        return not TRANSITIONS[self.state]

    @property
    def is_live(self) -> bool:
        """Not cancelled: under way, or done. A request has at most one live task."""
        return self.state != TaskState.CANCELLED

    def is_held_by(self, user) -> bool:
        """The volunteer may act on it while it is theirs and open; whether they see the resident's
        contact details is ``scheduler.visits.privacy.shows_contact`` (this, for a limited time)."""
        return self.assignee_id is not None and self.assignee_id == user.id and self.state in HELD_STATES

    def is_claimable(self) -> bool:
        return self.open_to_claim and self.state == TaskState.OPEN

    def is_overdue(self, now: datetime) -> bool:
        return self.state in PENDING_STATES and self.ends_at < now


class TaskEvent(db.Model):
    """One move of a task: who, when, from, to, the assignee at that moment, and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_state: Mapped[TaskState | None] = mapped_column(enum_column(TaskState))
    to_state: Mapped[TaskState] = mapped_column(enum_column(TaskState))
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    task: Mapped[Task] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])


class Health(enum.StrEnum):
    GOOD = "good"
    FOLLOW_UP = "follow_up"


class VisitRecord(StationScoped, db.Model):
    """What a done task found; anything flagged stays on the dashboard until handled."""

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), unique=True)
    health: Mapped[Health] = mapped_column(enum_column(Health))
    safety_hazard: Mapped[bool] = mapped_column(default=False)
    needs_help: Mapped[bool] = mapped_column(default=False)  # with medicine or food
    other_concern: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(500))
    minutes: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    flagged: Mapped[bool] = mapped_column(default=False, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    handling_note: Mapped[str] = mapped_column(sa.String(500), default="")

    task: Mapped[Task] = relationship(back_populates="visit_record")
    handled_by: Mapped[User | None] = relationship()

    def raises_flag(self) -> bool:
        return self.health == Health.FOLLOW_UP or self.safety_hazard or self.needs_help or self.other_concern

    @property
    def awaits_handling(self) -> bool:
        return self.flagged and self.handled_at is None


class AccessKind(enum.StrEnum):
    RECORD = "record"  # the full record (or its edit form), staff only
    CONTACT = "contact"  # name, address and phone on the task card of the volunteer holding it

    @property
    def label(self) -> str:
        return str(ACCESS_KIND_LABELS[self])


ACCESS_KIND_LABELS = {
    AccessKind.RECORD: _l("Full record"),
    AccessKind.CONTACT: _l("Contact details on a task"),
}


class BeneficiaryAccess(StationScoped, db.Model):
    """One view of a beneficiary's personal data: who, when, what (personal information law)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        sa.ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[AccessKind] = mapped_column(enum_column(AccessKind), default=AccessKind.RECORD)
    # The task whose card showed the contact details (kind CONTACT).
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id", ondelete="SET NULL"), index=True)

    beneficiary: Mapped[Beneficiary] = relationship()
    user: Mapped[User | None] = relationship()
    task: Mapped[Task | None] = relationship()
