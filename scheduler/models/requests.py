"""Residents' requests for a service (点单), their follow-up and rating (评单)."""

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models.core import Building, Kind, Station, StationScoped, User, enum_column, new_token
from scheduler.models.menu import Service

if TYPE_CHECKING:
    from scheduler.models.visits import Task

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a reference read out over the phone stays unambiguous.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class RequestState(enum.StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    DONE = "done"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return str(REQUEST_STATE_LABELS[self])

    @property
    def is_open(self) -> bool:
        return self in OPEN_REQUEST_STATES


REQUEST_STATE_LABELS = {
    RequestState.NEW: _l("New"),
    RequestState.ACCEPTED: _l("Taken on"),
    RequestState.SCHEDULED: _l("Scheduled"),
    RequestState.DONE: _l("Done"),
    RequestState.DECLINED: _l("Turned down"),
}

# States from which staff can still act on a request; done and declined are final.
OPEN_REQUEST_STATES = (RequestState.NEW, RequestState.ACCEPTED, RequestState.SCHEDULED)

RATING_RANGE = range(1, 6)

# The way a request normally goes, as the resident's follow-up page shows it.
PROGRESS_STEPS = (RequestState.NEW, RequestState.ACCEPTED, RequestState.SCHEDULED, RequestState.DONE)


class ServiceRequest(StationScoped, db.Model):
    """A resident's ask for a service. Personal data: staff of the station only.

    The resident follows it through ``follow_token`` (a secret link) and quotes
    ``reference`` on the phone. ``filed_by`` is set when a building head or
    coordinator filed it for a resident without a phone.
    """

    __table_args__ = (
        sa.Index("ix_service_request_station_state_created", "station_id", "state", "created_at"),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(12), unique=True)
    follow_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("service.id"), index=True)
    resident_name: Mapped[str] = mapped_column(sa.String(20))
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("building.id"))
    unit_room: Mapped[str] = mapped_column(sa.String(30), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    preferred_time: Mapped[str] = mapped_column(sa.String(60), default="")
    details: Mapped[str] = mapped_column(sa.String(500), default="")
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)

    state: Mapped[RequestState] = mapped_column(enum_column(RequestState), default=RequestState.NEW)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # The staff member who last changed the state.
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    rating: Mapped[int | None] = mapped_column()
    rating_comment: Mapped[str] = mapped_column(sa.String(200), default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    station: Mapped[Station] = relationship()
    service: Mapped[Service] = relationship()
    building: Mapped[Building] = relationship()
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    # Tasks made from this request, oldest first: cancelled ones, then at most one live one.
    tasks: Mapped[list["Task"]] = relationship(back_populates="service_request", order_by="Task.id")

    def __repr__(self) -> str:
        return f"<ServiceRequest {self.reference} {self.state}>"

    @property
    def filed_by_proxy(self) -> bool:
        return self.filed_by_id is not None

    @property
    def filed_by_building_head(self) -> bool:
        """Filed by a building head, who then keeps the resident informed (she may have no phone)."""
        return self.filed_by is not None and self.filed_by.kind == Kind.BUILDING_HEAD

    @property
    def address(self) -> str:
        return f"{self.building.name} {self.unit_room}".strip()

    def progress(self) -> list[tuple[RequestState, str]]:
        """Each step with "passed", "current" or "upcoming"; a declined request stops after new."""
        if self.state == RequestState.DECLINED:
            return [(RequestState.NEW, "passed"), (RequestState.DECLINED, "current")]
        reached = PROGRESS_STEPS.index(self.state)
        return [
            (step, "passed" if index < reached else "current" if index == reached else "upcoming")
            for index, step in enumerate(PROGRESS_STEPS)
        ]

    @property
    def live_task(self) -> "Task | None":
        """The task that answers this request (under way or done), if one does."""
        return next((task for task in reversed(self.tasks) if task.is_live), None)

    @property
    def may_become_task(self) -> bool:
        return self.state.is_open and self.live_task is None

    @property
    def may_be_rated(self) -> bool:
        return self.state == RequestState.DONE and self.rating is None
