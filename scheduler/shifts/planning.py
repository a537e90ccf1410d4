"""Planning shifts: single shifts, weekly series, changing and cancelling them, copying a week.

Changes to the people on a shift go through ``scheduler.shifts.services``, whose
locking order (shifts, then users, ascending id) applies here too.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    MAX_CAPACITY,
    MIN_CAPACITY,
    Assignment,
    AssignmentState,
    Service,
    Shift,
    ShiftKind,
    ShiftSeries,
    Tag,
    User,
    WaitlistEntry,
)
from scheduler.notices import notify
from scheduler.outbox import messages
from scheduler.rules import RuleViolation
from scheduler.shifts.formatting import shift_time
from scheduler.shifts.services import (
    assignment_of,
    check_free_at_that_time,
    lock_shift,
    lock_shifts,
    lock_users,
    my_shifts_link,
    place,
    place_holders,
    places_taken,
    promote_waitlists,
    transaction,
)
from scheduler.shifts.weeks import dates_between, local_span, local_to_utc, to_local, week_bounds

# A series may plan at most half a year ahead in one go.
MAX_SERIES_DAYS = 183


@dataclass
class ShiftDetails:
    """What a planner sets for one shift, in local terms."""

    kind: ShiftKind
    title: str
    location: str
    start: time
    end: time
    capacity: int
    self_signup: bool
    notes: str = ""
    service_id: int | None = None
    needs_tag_id: int | None = None
    needs_tag_count: int = 0

    def check(self, station_id: int) -> None:
        if not MIN_CAPACITY <= self.capacity <= MAX_CAPACITY:
            raise RuleViolation(
                _("Between %(low)s and %(high)s people.", low=MIN_CAPACITY, high=MAX_CAPACITY),
                field="capacity",
            )
        if self.start == self.end:
            raise RuleViolation(_("The shift must end at another time than it starts."), field="end")
        if self.service_id is not None and station_id != db.session.scalar(
            sa.select(Service.station_id).where(Service.id == self.service_id)
        ):
            raise RuleViolation(_("Choose one of this station's services."), field="service_id")
        if self.needs_tag_id is not None and station_id != db.session.scalar(
            sa.select(Tag.station_id).where(Tag.id == self.needs_tag_id)
        ):
            raise RuleViolation(_("Choose one of this station's tags."), field="needs_tag_id")
        if self.needs_tag_count > (self.capacity if self.needs_tag_id else 0):
            raise RuleViolation(
                _("Choose a tag, and at most as many places as the shift has."), field="needs_tag_count"
            )

    def new_shift(self, station_id: int, day: date, series_id: int | None = None) -> Shift:
        starts_at, ends_at = local_span(day, self.start, self.end)
        return Shift.planned_like(self, station_id, starts_at, ends_at, series_id)


def create_shift(station_id: int, day: date, details: ShiftDetails) -> Shift:
    details.check(station_id)
    with transaction():
        shift = details.new_shift(station_id, day)
        db.session.add(shift)
        db.session.flush()
        return shift


def create_series(
    station_id: int,
    details: ShiftDetails,
    weekdays: list[int],
    first_day: date,
    last_day: date,
    extra_slots: list[tuple[time, time]] = (),
) -> list[Shift]:
    """Weekly shifts on the chosen weekdays between two dates, one series per time slot."""
    details.check(station_id)
    if last_day < first_day:
        raise RuleViolation(_("The last day must not be before the first day."), field="last_day")
    if (last_day - first_day).days > MAX_SERIES_DAYS:
        raise RuleViolation(_("Plan at most half a year at once."), field="last_day")
    days = list(dates_between(first_day, last_day, weekdays))
    if not days:
        raise RuleViolation(_("None of the chosen weekdays falls between these dates."), field="weekdays")
    slots = [(details.start, details.end), *extra_slots]
    for start, end in extra_slots:
        if start == end:
            raise RuleViolation(_("The shift must end at another time than it starts."), field="extra_end")
    created = []
    with transaction():
        for start, end in slots:
            slot = replace(details, start=start, end=end)
            series = ShiftSeries(
                station_id=station_id,
                title=details.title,
                weekdays=",".join(str(day) for day in sorted(weekdays)),
                start_time=start,
                end_time=end,
                first_day=first_day,
                last_day=last_day,
                service_id=details.service_id,
                needs_tag_id=details.needs_tag_id,
                needs_tag_count=details.needs_tag_count,
            )
            db.session.add(series)
            db.session.flush()
            created += [slot.new_shift(station_id, day, series.id) for day in days]
        db.session.add_all(created)
        db.session.flush()
    return created


def _shifts_in_scope(shift: Shift, later_too: bool) -> list[Shift]:
    if not later_too or shift.series_id is None:
        return [shift]
    ids = db.session.scalars(
        sa.select(Shift.id).where(
            Shift.series_id == shift.series_id,
            Shift.starts_at >= shift.starts_at,
            Shift.cancelled_at.is_(None),
        )
    )
    return lock_shifts([shift.id, *ids])


def _notify_people(shifts: list[Shift], text_for, message_for) -> None:
    """Tell everyone still expected on these shifts (not those who declined or already came)."""
    by_id = {shift.id: shift for shift in shifts}
    for assignment in place_holders(shifts):
        if assignment.state in (AssignmentState.ASSIGNED, AssignmentState.CONFIRMED):
            shift = by_id[assignment.shift_id]
            notify(assignment.user, text_for(shift), my_shifts_link(), message_for(shift))


def update_shift(shift_id: int, day: date, details: ShiftDetails, later_too: bool = False) -> list[Shift]:
    """Change one shift, or it and all later ones of its series (each keeps its own date).

    Changing the later ones too also changes the series' link to a menu service.
    """
    now = utcnow()
    with transaction():
        shift = lock_shift(shift_id)
        details.check(shift.station_id)
        if shift.cancelled:
            raise RuleViolation(_("This shift is cancelled."))
        if later_too and day != to_local(shift.starts_at).date():
            raise RuleViolation(_("To move a shift to another day, change only this one."), field="day")
        shifts = _shifts_in_scope(shift, later_too)
        moved = []
        for each in shifts:
            each_day = day if each.id == shift.id else to_local(each.starts_at).date()
            starts_at, ends_at = local_span(each_day, details.start, details.end)
            taken = places_taken(each)
            if taken > details.capacity:
                raise RuleViolation(
                    _(
                        "%(count)s people are already on the shift of %(time)s; "
                        "take some off before lowering the capacity.",
                        count=taken,
                        time=shift_time(each),
                    ),
                    field="capacity",
                )
            if (starts_at, ends_at, details.location) != (each.starts_at, each.ends_at, each.location):
                moved.append(each)
            each.kind, each.title, each.location = details.kind, details.title, details.location
            each.starts_at, each.ends_at = starts_at, ends_at
            each.capacity, each.self_signup, each.notes = details.capacity, details.self_signup, details.notes
            each.service_id = details.service_id
            each.needs_tag_id, each.needs_tag_count = details.needs_tag_id, details.needs_tag_count
        if later_too and shift.series is not None:
            shift.series.service_id = details.service_id
            shift.series.needs_tag_id = details.needs_tag_id
            shift.series.needs_tag_count = details.needs_tag_count
        db.session.flush()
        by_id = {each.id: each for each in moved}
        for assignment in place_holders(moved):
            check_free_at_that_time(by_id[assignment.shift_id], assignment.user)
        _notify_people(
            moved,
            lambda s: _(
                "“%(title)s” now takes place %(time)s at %(place)s.",
                title=s.title,
                time=shift_time(s),
                place=s.location or "—",
            ),
            messages.shift_changed,
        )
        promote_waitlists(shifts, now)
        return shifts


def cancel_shift(shift_id: int, later_too: bool = False) -> list[Shift]:
    """Cancel one shift, or it and all later ones of its series; the people on them are told."""
    now = utcnow()
    with transaction():
        shift = lock_shift(shift_id)
        if shift.cancelled:
            raise RuleViolation(_("This shift is already cancelled."))
        if shift.has_started(now):
            raise RuleViolation(_("This shift has already started; its places can no longer change."))
        shifts = _shifts_in_scope(shift, later_too)
        shift_ids = [each.id for each in shifts]
        for each in shifts:
            each.cancelled_at = now
        db.session.execute(
            sa.update(Assignment).where(Assignment.shift_id.in_(shift_ids)).values(swap_offered_at=None)
        )
        db.session.execute(sa.delete(WaitlistEntry).where(WaitlistEntry.shift_id.in_(shift_ids)))
        _notify_people(
            shifts,
            lambda s: _(
                "“%(title)s” (%(time)s) is cancelled. You do not need to come.",
                title=s.title,
                time=shift_time(s),
            ),
            messages.shift_cancelled,
        )
        return shifts


@dataclass
class CopyResult:
    shifts_created: int = 0
    people_placed: int = 0
    people_skipped: int = 0
    # What a preview shows, and all its apply step may write: the week's shifts it read and the
    # places (the source week's assignments) it carried over.
    source_shift_ids: set[int] = field(default_factory=set)
    carried_assignment_ids: set[int] = field(default_factory=set)
    # In words, for the preview: "12月8日周二 09:00–11:30 驿站值班 · 王秀英", and why one is skipped.
    placed_lines: list[str] = field(default_factory=list)
    skipped_lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Previewed:
    """The ids a copy's preview showed (``CopyResult.source_shift_ids`` and ``carried_assignment_ids``)."""

    shift_ids: set[int]
    assignment_ids: set[int]


def copy_week(station_id: int, monday: date, by: User, previewed: Previewed | None = None) -> CopyResult:
    """Copy a week's plan to the next week: its shifts, and its people as "waiting for an answer".

    A shift that already exists next week (e.g. from a series) receives the people;
    people who are busy then, already answered, or do not fit are skipped. With ``previewed``,
    only what that preview showed is written, and only what is still possible.
    """
    with transaction():
        result, asked = _carry_week(station_id, monday, by, previewed)
        for person in asked:
            if person.id != by.id:
                notify(
                    person,
                    _("You have been put on shifts next week. Please confirm or decline."),
                    my_shifts_link(),
                    messages.shifts_planned(),
                )
    return result


def preview_copy_week(station_id: int, monday: date, by: User) -> CopyResult:
    """What ``copy_week`` would write now: the same rules decide, then it is all rolled back."""
    try:
        return _carry_week(station_id, monday, by, None)[0]
    finally:
        db.session.rollback()


def _carry_week(
    station_id: int, monday: date, by: User, previewed: Previewed | None
) -> tuple[CopyResult, list[User]]:
    """The copy itself, in the caller's transaction; also the people asked to confirm."""
    now = utcnow()
    start, end = week_bounds(monday)
    result = CopyResult()
    sources = list(
        db.session.scalars(
            sa.select(Shift)
            .where(
                Shift.station_id == station_id,
                Shift.starts_at >= start,
                Shift.starts_at < end,
                Shift.cancelled_at.is_(None),
            )
            .order_by(Shift.starts_at, Shift.id)
        )
    )
    if previewed is not None:
        sources = [source for source in sources if source.id in previewed.shift_ids]
    if not sources:
        return result, []
    later = {source.id: _a_week_later(source) for source in sources}
    # Next week's shifts, cancelled ones too: a shift cancelled there stays cancelled.
    existing_ids = db.session.scalars(
        sa.select(Shift.id).where(
            Shift.station_id == station_id,
            Shift.starts_at.in_([span[0] for span in later.values()]),
        )
    )
    existing = {(s.title, s.location, s.starts_at): s for s in lock_shifts(existing_ids)}
    holders_by_source: dict[int, list[Assignment]] = {}
    for assignment in place_holders(sources):
        if previewed is None or assignment.id in previewed.assignment_ids:
            holders_by_source.setdefault(assignment.shift_id, []).append(assignment)
    people = lock_users(a.user_id for holders in holders_by_source.values() for a in holders)
    asked: dict[int, User] = {}
    for source in sources:
        result.source_shift_ids.add(source.id)
        starts_at, ends_at = later[source.id]
        target = existing.get((source.title, source.location, starts_at))
        if target is None:
            target = source.planned_again(starts_at, ends_at)
            db.session.add(target)
            db.session.flush()
            result.shifts_created += 1
        for assignment in holders_by_source.get(source.id, []):
            person = people[assignment.user_id]
            line = f"{shift_time(target)} {target.title} · {person.display_name}"
            if assignment_of(target, person.id) is not None:
                # Already on it, or declined it: their answer stands.
                result.people_skipped += 1
                why = _("already on it, or answered")
                result.skipped_lines.append(_("%(line)s: %(why)s", line=line, why=why))
                continue
            try:
                place(target, person, AssignmentState.ASSIGNED, now, assigned_by=by)
            except RuleViolation as violation:  # busy then, full, cancelled or already started
                result.people_skipped += 1
                result.skipped_lines.append(_("%(line)s: %(why)s", line=line, why=violation.message))
            else:
                result.people_placed += 1
                result.placed_lines.append(line)
                result.carried_assignment_ids.add(assignment.id)
                asked[person.id] = person
    return result, list(asked.values())


def _a_week_later(shift: Shift) -> tuple[datetime, datetime]:
    """Same local wall-clock times seven days later (right across daylight-saving changes too)."""
    start, end = to_local(shift.starts_at), to_local(shift.ends_at)
    return (
        local_to_utc(start.date() + timedelta(days=7), start.time()),
        local_to_utc(end.date() + timedelta(days=7), end.time()),
    )
