"""Who may be on which shift: every rule in one place, every change in one transaction.

Race safety. A place on a shift is given, taken back or handed over only while this
transaction holds the shift's row lock: ``SELECT … FOR UPDATE`` on PostgreSQL, and on
SQLite the database write lock that every transaction takes up front (BEGIN
IMMEDIATE, see ``scheduler.database``), where ``with_for_update()`` is a no-op. The
capacity count, the overlap check and the write all happen under that lock, so two
requests can never both see "one place left". The person getting a place is locked
too (their user row), which serialises one person signing up for two overlapping
shifts at the same instant.

Deadlocks are avoided by a single order: shift rows first, then user rows, each in
ascending id. Nothing locks a user and then waits for a shift.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    PLACE_HOLDING_STATES,
    RECORDED_STATES,
    STATION_ROLES,
    Assignment,
    AssignmentState,
    Shift,
    User,
    WaitlistEntry,
)
from scheduler.notices import notify
from scheduler.outbox import messages
from scheduler.rules import RuleViolation
from scheduler.shifts.formatting import shift_time


@contextmanager
def transaction():
    """Commit when the block succeeds; roll everything back when a rule refuses."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def my_shifts_link() -> str:
    return url_for("me.home", _anchor="my-shifts")


# Locks and the facts read under them ------------------------------------------------


def lock_shifts(shift_ids: Iterable[int]) -> list[Shift]:
    """Lock shift rows in ascending id and read them fresh (not from the session cache)."""
    ids = sorted(set(shift_ids))
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Shift)
            .where(Shift.id.in_(ids))
            .order_by(Shift.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def lock_shift(shift_id: int) -> Shift:
    shifts = lock_shifts([shift_id])
    if not shifts:
        raise RuleViolation(_("This shift no longer exists."))
    return shifts[0]


def lock_users(user_ids: Iterable[int]) -> dict[int, User]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    users = db.session.scalars(
        sa.select(User)
        .where(User.id.in_(ids))
        .order_by(User.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {user.id: user for user in users}


def places_taken(shift: Shift) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Assignment.id)).where(
            Assignment.shift_id == shift.id, Assignment.state.in_(PLACE_HOLDING_STATES)
        )
    )


def assignment_of(shift: Shift, user_id: int) -> Assignment | None:
    return db.session.scalar(
        sa.select(Assignment)
        .where(Assignment.shift_id == shift.id, Assignment.user_id == user_id)
        .execution_options(populate_existing=True)
    )


def place_holders(shifts: list[Shift]) -> list[Assignment]:
    """The people holding places on these shifts, read fresh under the shifts' locks."""
    if not shifts:
        return []
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(
                Assignment.shift_id.in_([shift.id for shift in shifts]),
                Assignment.state.in_(PLACE_HOLDING_STATES),
            )
            .order_by(Assignment.id)
            .options(selectinload(Assignment.user))
            .execution_options(populate_existing=True)
        )
    )


def _locked_assignment(assignment_id: int, user: User | None = None) -> tuple[Shift, Assignment]:
    """Lock the assignment's shift, then read the assignment fresh; ``user`` must own it."""
    shift_id = db.session.scalar(sa.select(Assignment.shift_id).where(Assignment.id == assignment_id))
    if shift_id is None:
        raise RuleViolation(_("This assignment no longer exists."))
    shift = lock_shift(shift_id)
    assignment = db.session.scalar(
        sa.select(Assignment).where(Assignment.id == assignment_id).execution_options(populate_existing=True)
    )
    if assignment is None or (user is not None and assignment.user_id != user.id):
        raise RuleViolation(_("This assignment no longer exists."))
    return shift, assignment


def clashing_shift(user_id: int, starts_at: datetime, ends_at: datetime, except_shift_id: int | None):
    """Another live shift on which the person holds a place and which overlaps the span."""
    query = (
        sa.select(Shift)
        .join(Assignment, Assignment.shift_id == Shift.id)
        .where(
            Assignment.user_id == user_id,
            Assignment.state.in_(PLACE_HOLDING_STATES),
            Shift.cancelled_at.is_(None),
            Shift.starts_at < ends_at,
            Shift.ends_at > starts_at,
        )
        .order_by(Shift.starts_at)
        .limit(1)
    )
    if except_shift_id is not None:
        query = query.where(Shift.id != except_shift_id)
    return db.session.scalar(query)


# The one rule for giving someone a place --------------------------------------------


def _check_open(shift: Shift, now: datetime) -> None:
    if shift.cancelled:
        raise RuleViolation(_("This shift is cancelled."))
    if shift.has_started(now):
        raise RuleViolation(_("This shift has already started; its places can no longer change."))


def _is_member(shift: Shift, user: User | None) -> bool:
    return (
        user is not None
        and user.station_id == shift.station_id
        and user.active
        and user.role in STATION_ROLES
    )


def _check_member(shift: Shift, user: User | None) -> User:
    if not _is_member(shift, user):
        raise RuleViolation(_("Choose an active person of this station."))
    return user


def check_free_at_that_time(shift: Shift, user: User) -> None:
    clash = clashing_shift(user.id, shift.starts_at, shift.ends_at, except_shift_id=shift.id)
    if clash is not None:
        raise RuleViolation(
            _(
                "%(name)s is already on “%(title)s” (%(time)s), which overlaps this shift.",
                name=user.display_name,
                title=clash.title,
                time=shift_time(clash),
            )
        )


def place(
    shift: Shift, user: User, state: AssignmentState, now: datetime, assigned_by: User | None = None
) -> Assignment:
    """Give ``user`` a place on ``shift``. The caller holds the shift's and the user's locks."""
    _check_open(shift, now)
    _check_member(shift, user)
    existing = assignment_of(shift, user.id)
    if existing is not None and existing.holds_place:
        raise RuleViolation(_("%(name)s is already on this shift.", name=user.display_name))
    if places_taken(shift) >= shift.capacity:
        raise RuleViolation(_("This shift is full."))
    check_free_at_that_time(shift, user)
    # A declined assignment is given a second life: the (shift, person) pair stays unique.
    assignment = existing or Assignment(shift_id=shift.id, station_id=shift.station_id, user_id=user.id)
    assignment.state = state
    assignment.decline_reason = ""
    assignment.swap_offered_at = None
    assignment.assigned_by_id = assigned_by.id if assigned_by else None
    assignment.responded_at = now if state == AssignmentState.CONFIRMED else None
    db.session.add(assignment)
    db.session.execute(
        sa.delete(WaitlistEntry).where(WaitlistEntry.shift_id == shift.id, WaitlistEntry.user_id == user.id)
    )
    db.session.flush()
    return assignment


def promote_waitlists(shifts: list[Shift], now: datetime) -> list[Assignment]:
    """Fill free places from the waiting lists, first come first served.

    Someone who meanwhile took an overlapping shift is passed over and keeps waiting.
    The caller holds the shifts' locks; the waiting people are locked here, all at once.
    """
    open_shifts = [shift for shift in shifts if not shift.cancelled and not shift.has_started(now)]
    if not open_shifts:
        return []
    entries = list(
        db.session.scalars(
            sa.select(WaitlistEntry)
            .where(WaitlistEntry.shift_id.in_([shift.id for shift in open_shifts]))
            .order_by(WaitlistEntry.id)
        )
    )
    users = lock_users(entry.user_id for entry in entries)
    promoted = []
    for shift in open_shifts:
        free = shift.capacity - places_taken(shift)
        for entry in (entry for entry in entries if entry.shift_id == shift.id):
            if free <= 0:
                break
            user = users[entry.user_id]
            if not _is_member(shift, user) or clashing_shift(
                user.id, shift.starts_at, shift.ends_at, except_shift_id=shift.id
            ):
                continue
            promoted.append(place(shift, user, AssignmentState.CONFIRMED, now))
            free -= 1
            notify(
                user,
                _(
                    "A place on “%(title)s” (%(time)s) became free and is now yours.",
                    title=shift.title,
                    time=shift_time(shift),
                ),
                my_shifts_link(),
                messages.shift_promoted(shift, promoted[-1]),
            )
    return promoted


# Volunteers: sign-up, waiting list, answers, withdrawal, swaps ----------------------


def sign_up(shift_id: int, user: User) -> Assignment:
    now = utcnow()
    with transaction():
        shift = lock_shift(shift_id)
        if not shift.self_signup:
            raise RuleViolation(_("Staff fill this shift; ask them to put you on it."))
        users = lock_users([user.id])
        if places_taken(shift) >= shift.capacity and not shift.cancelled and not shift.has_started(now):
            raise RuleViolation(_("This shift is full. You can join the waiting list."))
        return place(shift, users.get(user.id), AssignmentState.CONFIRMED, now)


def join_waitlist(shift_id: int, user: User) -> WaitlistEntry:
    now = utcnow()
    with transaction():
        shift = lock_shift(shift_id)
        _check_open(shift, now)
        if not shift.self_signup:
            raise RuleViolation(_("Staff fill this shift; ask them to put you on it."))
        user = _check_member(shift, lock_users([user.id]).get(user.id))
        existing = assignment_of(shift, user.id)
        if existing is not None and existing.holds_place:
            raise RuleViolation(_("%(name)s is already on this shift.", name=user.display_name))
        if places_taken(shift) < shift.capacity:
            raise RuleViolation(_("This shift still has free places: sign up instead."))
        check_free_at_that_time(shift, user)
        if db.session.scalar(
            sa.select(WaitlistEntry.id).where(
                WaitlistEntry.shift_id == shift.id, WaitlistEntry.user_id == user.id
            )
        ):
            raise RuleViolation(_("You are already on the waiting list."))
        entry = WaitlistEntry(shift_id=shift.id, station_id=shift.station_id, user_id=user.id)
        db.session.add(entry)
        db.session.flush()
        return entry


def leave_waitlist(shift_id: int, user: User) -> None:
    with transaction():
        shift = lock_shift(shift_id)
        result = db.session.execute(
            sa.delete(WaitlistEntry).where(
                WaitlistEntry.shift_id == shift.id, WaitlistEntry.user_id == user.id
            )
        )
        if result.rowcount == 0:
            raise RuleViolation(_("You are not on this waiting list."))


def confirm(assignment_id: int, user: User) -> Assignment:
    now = utcnow()
    with transaction():
        shift, assignment = _locked_assignment(assignment_id, user)
        _check_open(shift, now)
        if assignment.state != AssignmentState.ASSIGNED:
            raise RuleViolation(_("Only an assignment waiting for your answer can be confirmed."))
        assignment.state = AssignmentState.CONFIRMED
        assignment.responded_at = now
        return assignment


def decline(assignment_id: int, user: User, reason: str) -> Assignment:
    """Say no to an assignment that staff made; the freed place goes to the waiting list."""
    now = utcnow()
    with transaction():
        shift, assignment = _locked_assignment(assignment_id, user)
        _check_open(shift, now)
        if assignment.state != AssignmentState.ASSIGNED:
            raise RuleViolation(_("Only an assignment waiting for your answer can be declined."))
        if not reason.strip():
            raise RuleViolation(_("Tell the staff why, so they can plan."), field="reason")
        assignment.state = AssignmentState.DECLINED
        assignment.decline_reason = reason.strip()
        assignment.responded_at = now
        db.session.flush()
        promote_waitlists([shift], now)
        return assignment


def withdrawal_deadline(shift: Shift) -> datetime:
    return shift.starts_at - timedelta(hours=current_app.config["WITHDRAW_CUTOFF_HOURS"])


def withdraw(assignment_id: int, user: User) -> None:
    """Give back a confirmed place, up to the cut-off before the start; after it, only staff can."""
    now = utcnow()
    with transaction():
        shift, assignment = _locked_assignment(assignment_id, user)
        _check_open(shift, now)
        if assignment.state != AssignmentState.CONFIRMED:
            raise RuleViolation(_("Only a confirmed place can be given back."))
        if now >= withdrawal_deadline(shift):
            raise RuleViolation(
                _(
                    "You can withdraw only until %(hours)s hours before the start. "
                    "Please call the staff, or offer your place to another volunteer.",
                    hours=current_app.config["WITHDRAW_CUTOFF_HOURS"],
                )
            )
        db.session.delete(assignment)
        db.session.flush()
        promote_waitlists([shift], now)


def offer_swap(assignment_id: int, user: User) -> Assignment:
    now = utcnow()
    with transaction():
        shift, assignment = _locked_assignment(assignment_id, user)
        _check_open(shift, now)
        if assignment.state != AssignmentState.CONFIRMED:
            raise RuleViolation(_("Confirm the place first; then you can offer it to someone else."))
        assignment.swap_offered_at = assignment.swap_offered_at or now
        return assignment


def withdraw_swap_offer(assignment_id: int, user: User) -> Assignment:
    with transaction():
        _shift, assignment = _locked_assignment(assignment_id, user)
        assignment.swap_offered_at = None
        return assignment


def take_swap(assignment_id: int, taker: User) -> Assignment:
    """Take over a place someone offers. The first taker wins; the offerer is told."""
    now = utcnow()
    with transaction():
        shift, assignment = _locked_assignment(assignment_id)
        if not assignment.offered_for_swap or assignment.state != AssignmentState.CONFIRMED:
            raise RuleViolation(_("Someone else has already taken this place, or it is no longer offered."))
        if assignment.user_id == taker.id:
            raise RuleViolation(_("This is your own place."))
        _check_open(shift, now)
        users = lock_users([assignment.user_id, taker.id])
        offerer, taker = users[assignment.user_id], _check_member(shift, users.get(taker.id))
        own = assignment_of(shift, taker.id)
        if own is not None and own.holds_place:
            raise RuleViolation(_("%(name)s is already on this shift.", name=taker.display_name))
        check_free_at_that_time(shift, taker)
        if own is not None:  # an old decline of the same shift makes way for the handover
            db.session.delete(own)
        db.session.execute(
            sa.delete(WaitlistEntry).where(
                WaitlistEntry.shift_id == shift.id, WaitlistEntry.user_id == taker.id
            )
        )
        db.session.flush()
        assignment.user_id = taker.id
        assignment.swap_offered_at = None
        assignment.responded_at = now
        notify(
            offerer,
            _(
                "%(name)s took over your place on “%(title)s” (%(time)s). You are free then.",
                name=taker.display_name,
                title=shift.title,
                time=shift_time(shift),
            ),
            my_shifts_link(),
            messages.swap_taken(shift),
        )
        return assignment


# Staff: assigning, removing, attendance ----------------------------------------------


def assign(shift_id: int, user_id: int, by: User) -> Assignment:
    now = utcnow()
    with transaction():
        shift = lock_shift(shift_id)
        person = lock_users([user_id]).get(user_id)
        assignment = place(shift, _check_member(shift, person), AssignmentState.ASSIGNED, now, assigned_by=by)
        if person.id != by.id:
            notify(
                person,
                _(
                    "You have been put on “%(title)s” (%(time)s). Please confirm or decline.",
                    title=shift.title,
                    time=shift_time(shift),
                ),
                my_shifts_link(),
                messages.shift_assigned(shift, assignment),
            )
        return assignment


def removable(assignment: Assignment) -> bool:
    """Whether staff may take this place off its shift: the week board and the shift page ask here."""
    return assignment.state not in RECORDED_STATES


def remove_assignment(assignment_id: int, by: User) -> Shift:
    """Take a person off a shift; a freed place goes to the waiting list. Recorded attendance stays."""
    now = utcnow()
    with transaction():
        shift, assignment = _locked_assignment(assignment_id)
        if not removable(assignment):
            raise RuleViolation(
                _(
                    "%(name)s's attendance is recorded, so they stay on the shift. "
                    "Correct the attendance instead, with a reason.",
                    name=assignment.user.display_name,
                )
            )
        person = assignment.user
        told = assignment.state in (AssignmentState.ASSIGNED, AssignmentState.CONFIRMED)
        db.session.delete(assignment)
        db.session.flush()
        if told and person.id != by.id and not shift.cancelled and not shift.has_started(now):
            notify(
                person,
                _(
                    "You are no longer on “%(title)s” (%(time)s).",
                    title=shift.title,
                    time=shift_time(shift),
                ),
                my_shifts_link(),
                messages.shift_removed(shift),
            )
        promote_waitlists([shift], now)
        return shift
