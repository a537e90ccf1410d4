"""Residents' requests: filing, every change of state, and rating.

All state changes go through this module. Each is a conditional UPDATE on the
request's current state, so two staff members acting at once cannot both win,
on SQLite or PostgreSQL. A request becomes a home-visit task in one transaction
(``task_from_request``); from then on it follows its task (``follow_task``, a
receiver of the task state machine's ``task_moved``), and staff cannot close it
by hand while the task is under way.
"""

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    OPEN_REQUEST_STATES,
    PENDING_STATES,
    RATING_RANGE,
    STAFF_ROLES,
    Building,
    Kind,
    RequestState,
    Role,
    Service,
    ServiceRequest,
    Task,
    TaskKind,
    TaskState,
    User,
    new_reference,
)
from scheduler.notices import notify
from scheduler.outbox import events, messages
from scheduler.rules import RuleViolation
from scheduler.tasks.services import add_task_for_resident, task_moved

log = logging.getLogger("scheduler.requests")

# A fresh reference almost never collides; a few tries make "almost" certain.
REFERENCE_ATTEMPTS = 5


def may_file_for_residents(user: User) -> bool:
    """Staff and building heads may file a request for a resident without a phone."""
    return user.role in (Role.ADMIN, Role.COORDINATOR) or (
        user.role == Role.VOLUNTEER and user.kind == Kind.BUILDING_HEAD
    )


# Filing -------------------------------------------------------------------------


def file_request(
    service: Service,
    *,
    resident_name: str,
    building_id: int | None,
    unit_room: str = "",
    phone: str = "",
    preferred_time: str = "",
    details: str = "",
    filed_by: User | None = None,
) -> ServiceRequest:
    """A resident's request, or one filed for them (``filed_by``: then the phone is optional)."""
    if not service.open_to_requests:
        raise RuleViolation(_("This service cannot be requested at the moment."))
    building = db.session.get(Building, building_id) if building_id is not None else None
    if building is None or building.station_id != service.station_id:
        raise RuleViolation(_("Choose your building from the list."), field="building_id")
    if not phone and filed_by is None:
        raise RuleViolation(_("Enter a phone number so that the station can call back."), field="phone")
    attempts_left = REFERENCE_ATTEMPTS
    while True:
        service_request = ServiceRequest(
            station_id=service.station_id,
            service_id=service.id,
            reference=new_reference(),
            resident_name=resident_name,
            building_id=building.id,
            unit_room=unit_room,
            phone=phone,
            preferred_time=preferred_time,
            details=details,
            filed_by_id=filed_by.id if filed_by else None,
        )
        db.session.add(service_request)
        try:
            db.session.flush()
            events.request_filed(service_request)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            attempts_left -= 1
            if not attempts_left:
                raise
        else:
            return service_request


# Changes of state ------------------------------------------------------------------


def _task_under_way(request_id) -> sa.Exists:
    return sa.exists().where(Task.service_request_id == request_id, Task.state.in_(PENDING_STATES))


# While a task is under way, the request is closed through the task, never by hand.
NO_TASK_UNDER_WAY = ~_task_under_way(ServiceRequest.id)


def _update_state(
    service_request: ServiceRequest,
    new_state: RequestState,
    by: User | None,
    allowed_from: tuple[RequestState, ...],
    criteria: tuple = (),
    **values,
) -> bool:
    """Move the request if it is still in one of ``allowed_from`` (and meets ``criteria``)."""
    if by is not None:
        values["handled_by_id"] = by.id
    result = db.session.execute(
        sa.update(ServiceRequest)
        .where(ServiceRequest.id == service_request.id, ServiceRequest.state.in_(allowed_from), *criteria)
        .values(state=new_state, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.expire(service_request)
    _tell_filer(service_request, new_state, by)
    events.request_taken_up(service_request)
    return True


def _change_state(
    service_request: ServiceRequest,
    new_state: RequestState,
    by: User,
    allowed_from: tuple[RequestState, ...] = OPEN_REQUEST_STATES,
    commit: bool = True,
    criteria: tuple = (),
    **values,
) -> ServiceRequest:
    """A change staff ask for: refused with the request's current state if it moved meanwhile."""
    if not _update_state(service_request, new_state, by, allowed_from, criteria, **values):
        db.session.rollback()
        db.session.refresh(service_request)
        if db.session.scalar(sa.select(_task_under_way(service_request.id))):
            raise RuleViolation(
                _(
                    "This request follows its task and is done when the task is done. "
                    "To turn it down, cancel the task first."
                )
            )
        raise RuleViolation(
            _(
                "This request is already marked “%(state)s”; the page now shows its current state.",
                state=service_request.state.label,
            )
        )
    if commit:
        db.session.commit()
    return service_request


def _tell_filer(service_request: ServiceRequest, new_state: RequestState, by: User | None) -> None:
    """A building head who filed a request hears when its state changes."""
    filer = service_request.filed_by
    if filer is None or (by is not None and filer.id == by.id):
        return
    notify(
        filer,
        _(
            "The request %(reference)s (%(service)s) you filed is now: %(state)s.",
            reference=service_request.reference,
            service=service_request.service.title,
            state=new_state.label,
        ),
        link=url_for("menu.follow_up", token=service_request.follow_token),
        message=messages.request_moved(service_request, new_state),
    )


def accept_request(service_request: ServiceRequest, by: User) -> ServiceRequest:
    now = utcnow()
    return _change_state(
        service_request, RequestState.ACCEPTED, by, allowed_from=(RequestState.NEW,), accepted_at=now
    )


def mark_scheduled(
    service_request: ServiceRequest, when: datetime, by: User, *, commit: bool = True
) -> ServiceRequest:
    """Someone will come at ``when`` (aware). Also accepts a new request; may reschedule.

    The home-visits area calls this after creating the task, with ``commit=False``
    so that the task and the request's new state are saved in one transaction.
    """
    if when.tzinfo is None:
        raise ValueError("mark_scheduled needs an aware datetime")
    accepted_at = sa.func.coalesce(ServiceRequest.accepted_at, utcnow())
    return _change_state(
        service_request,
        RequestState.SCHEDULED,
        by,
        commit=commit,
        scheduled_for=when,
        accepted_at=accepted_at,
    )


def mark_done(service_request: ServiceRequest, by: User) -> ServiceRequest:
    return _change_state(
        service_request, RequestState.DONE, by, criteria=(NO_TASK_UNDER_WAY,), done_at=utcnow()
    )


def decline_request(service_request: ServiceRequest, reason: str, by: User) -> ServiceRequest:
    """The resident sees ``reason`` on their follow-up page, so it is required."""
    reason = reason.strip()
    if not reason:
        raise RuleViolation(_("Tell the resident why: they will see this reason."), field="reason")
    return _change_state(
        service_request,
        RequestState.DECLINED,
        by,
        criteria=(NO_TASK_UNDER_WAY,),
        declined_at=utcnow(),
        decline_reason=reason,
    )


# The request and its task ----------------------------------------------------------


def _lock_for_a_task(service_request: ServiceRequest) -> ServiceRequest:
    """The request's row, locked until commit, if it may still become a task; else refused.

    Staff making a task of one request at the same moment queue on this lock
    (``FOR UPDATE`` on PostgreSQL; SQLite transactions hold the write lock already),
    and each sees what the one before them did.
    """
    service_request = db.session.scalars(
        sa.select(ServiceRequest)
        .where(ServiceRequest.id == service_request.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if not service_request.state.is_open:
        raise RuleViolation(
            _(
                "This request is already marked “%(state)s”, so it cannot become a task.",
                state=service_request.state.label,
            )
        )
    db.session.expire(service_request, ["tasks"])
    if service_request.live_task is not None:
        raise RuleViolation(_("This request already has a task; the page now shows it."))
    return service_request


def task_from_request(
    service_request: ServiceRequest,
    *,
    created_by: User,
    unit: str,
    room: str,
    kind: TaskKind,
    starts_at: datetime,
    ends_at: datetime,
    instructions: str = "",
    assignee_id: int | None = None,
) -> Task:
    """The request becomes a home-visit task in one step, in one transaction.

    The resident is found in the register or registered (``unit`` and ``room`` as the
    register writes them), the task is linked to the request and given to
    ``assignee_id`` if one is chosen, and the request is scheduled for the window's
    start. Refused when the request is closed or already has a task; staff doing it
    at once queue on the request's lock, so exactly one task is made.
    """
    if created_by.role not in STAFF_ROLES or created_by.station_id != service_request.station_id:
        raise RuleViolation(_("Only the station's staff can do this."))
    assignee = db.session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and assignee is None:
        raise RuleViolation(_("Choose an active member of this station."), field="assignee_id")
    try:
        service_request = _lock_for_a_task(service_request)
        task = add_task_for_resident(
            station_id=service_request.station_id,
            created_by=created_by,
            name=service_request.resident_name,
            building_id=service_request.building_id,
            unit=unit,
            room=room,
            phone=service_request.phone,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            instructions=instructions,
            assignee=assignee,
        )
        task.service_request = service_request
        mark_scheduled(service_request, starts_at, created_by, commit=False)
        db.session.commit()
    except RuleViolation:
        db.session.rollback()
        raise
    except IntegrityError:
        # The unique index on a request's live task, should anything bypass the lock.
        db.session.rollback()
        raise RuleViolation(_("This request already has a task; the page now shows it.")) from None
    log.info("task %s made from request %s by user %s", task.id, service_request.id, created_by.id)
    return task


@task_moved.connect
def follow_task(task: Task, actor: User | None) -> None:
    """The request a task answers follows the task's move, in the mover's transaction.

    Done: the request is done, and the resident may rate it. Cancelled: the request is
    taken on again, for staff to decide anew. Other moves need nothing here: the
    follow-up page reads them from the task. A request closed meanwhile stays closed.
    """
    service_request = task.service_request
    if service_request is None:
        return
    if task.state == TaskState.DONE:
        _update_state(service_request, RequestState.DONE, actor, OPEN_REQUEST_STATES, done_at=utcnow())
    elif task.state == TaskState.CANCELLED:
        _update_state(
            service_request, RequestState.ACCEPTED, actor, (RequestState.SCHEDULED,), scheduled_for=None
        )


def rate_request(service_request: ServiceRequest, rating: int, comment: str = "") -> ServiceRequest:
    """The resident's 1–5 rating of a done request; only the first one counts."""
    if rating not in RATING_RANGE:
        raise RuleViolation(_("Choose from 1 to 5 stars."), field="rating")
    result = db.session.execute(
        sa.update(ServiceRequest)
        .where(
            ServiceRequest.id == service_request.id,
            ServiceRequest.state == RequestState.DONE,
            ServiceRequest.rating.is_(None),
        )
        .values(rating=rating, rating_comment=comment.strip(), rated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(service_request)
        if service_request.rating is not None:
            raise RuleViolation(_("You have already rated this request. Thank you!"))
        raise RuleViolation(_("You can rate the request once it is done."))
    db.session.commit()
    db.session.refresh(service_request)
    return service_request
