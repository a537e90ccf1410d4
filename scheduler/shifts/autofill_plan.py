"""Auto-fill against the database: read a week's (or a series-month's) facts, explain, apply.

The proposal comes from ``scheduler.shifts.autofill``. Applying goes place by place through
``services.assign``, the same locked path as a manual assignment, so a volunteer signing up
for the same place at the same moment can never overbook it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    DAY_PART_LABELS,
    PLACE_HOLDING_STATES,
    Assignment,
    AssignmentState,
    Kind,
    Role,
    Shift,
    Tag,
    User,
    slot_bit,
)
from scheduler.rules import RuleViolation
from scheduler.shifts import services
from scheduler.shifts.autofill import Opening, Person, Problem, Proposal, propose
from scheduler.shifts.availability import PersonFacts, day_parts, people_facts
from scheduler.shifts.queries import hours_by_person, station_people
from scheduler.shifts.weeks import month_bounds, to_local, week_bounds, week_start
from scheduler.tasks.dispatch import busy_spans

# Continuity looks this far back for the series a person served on.
CONTINUITY_WEEKS = 8


def open_to_autofill(now: datetime) -> sa.ColumnElement:
    """Shifts auto-fill may touch: not cancelled, and not within the withdrawal cut-off of the start."""
    cutoff = now + timedelta(hours=current_app.config["WITHDRAW_CUTOFF_HOURS"])
    return sa.and_(Shift.cancelled_at.is_(None), Shift.starts_at >= cutoff)


def week_openings(station_id: int, monday: date) -> list[Shift]:
    start, end = week_bounds(monday)
    return _unfilled(station_id, Shift.starts_at >= start, Shift.starts_at < end)


def series_month_openings(station_id: int, series_id: int, month: date) -> list[Shift]:
    start, end = month_bounds(month)
    return _unfilled(
        station_id, Shift.series_id == series_id, Shift.starts_at >= start, Shift.starts_at < end
    )


def _unfilled(station_id: int, *criteria) -> list[Shift]:
    shifts = db.session.scalars(
        sa.select(Shift)
        .where(Shift.station_id == station_id, open_to_autofill(utcnow()), *criteria)
        .options(selectinload(Shift.assignments))
        .order_by(Shift.starts_at, Shift.id)
    )
    return [shift for shift in shifts if shift.is_unfilled]


@dataclass
class Plan:
    """What the proposal page shows: the facts it was made from, and the solver's answer."""

    shifts: dict[int, Shift]
    people: dict[int, User]
    problem: Problem
    proposal: Proposal
    facts: dict[int, PersonFacts] = field(default_factory=dict)
    tags: dict[int, Tag] = field(default_factory=dict)


def _people_who_serve(station_id: int, facts: dict) -> list[User]:
    """Volunteers, and staff who said when they can serve."""
    return [
        person
        for person in station_people(station_id)
        if person.role == Role.VOLUNTEER or (person.id in facts and facts[person.id].slots is not None)
    ]


def _places_per_week(station_id: int, since: datetime, until: datetime) -> dict[int, dict[date, int]]:
    rows = db.session.execute(
        Assignment.places_held_between(station_id, since, until).with_only_columns(
            Assignment.user_id, Shift.starts_at
        )
    )
    counts: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for user_id, starts_at in rows:
        counts[user_id][week_start(to_local(starts_at).date())] += 1
    return counts


def _series_served(station_id: int, before: datetime) -> dict[int, set[int]]:
    rows = db.session.execute(
        sa.select(Assignment.user_id, Shift.series_id)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.station_id == station_id,
            Assignment.state.in_(PLACE_HOLDING_STATES),
            Shift.series_id.is_not(None),
            Shift.starts_at < before,
            Shift.starts_at >= before - timedelta(weeks=CONTINUITY_WEEKS),
        )
        .distinct()
    )
    served: dict[int, set[int]] = defaultdict(set)
    for user_id, series_id in rows:
        served[user_id].add(series_id)
    return served


def _blocked(shift: Shift, busy: list[tuple[int, datetime, datetime]]) -> frozenset[int]:
    """Busy then (another shift or a home visit), already on it, or declined it."""
    busy_then = {person for person, starts, ends in busy if starts < shift.ends_at and shift.starts_at < ends}
    return frozenset(busy_then | {assignment.user_id for assignment in shift.assignments})


def _opening(shift: Shift, tag_holders: set[int], busy: list[tuple[int, datetime, datetime]]) -> Opening:
    weekday, parts = day_parts(shift)
    tagged_held = sum(1 for a in shift.place_holders if a.user_id in tag_holders)
    return Opening(
        id=shift.id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        day=to_local(shift.starts_at).date(),
        week=week_start(to_local(shift.starts_at).date()),
        slot_bits=sum(slot_bit(weekday, part) for part in parts),
        quarters=round(shift.hours * 4),
        free=shift.free_places,
        tag_id=shift.needs_tag_id if shift.needs_tag_count else None,
        tagged_needed=max(shift.needs_tag_count - tagged_held, 0) if shift.needs_tag_id else 0,
        series_id=shift.series_id,
        location=shift.location,
        blocked=_blocked(shift, busy),
    )


def make_plan(station_id: int, shifts: list[Shift]) -> Plan:
    """Read every fact the solver needs for these shifts, and ask it for a proposal."""
    if not shifts:
        return Plan({}, {}, Problem((), ()), Proposal([], {}, {}, {}))
    first_day, last_day = to_local(shifts[0].starts_at).date(), to_local(shifts[-1].starts_at).date()
    facts = people_facts(station_id, first_day, last_day)
    people = _people_who_serve(station_id, facts)
    # Loads count in the month most of the shifts fall in.
    middle = to_local(shifts[len(shifts) // 2].starts_at).date()
    since, until = month_bounds(middle)
    done = hours_by_person(station_id, (AssignmentState.ATTENDED,), since, until)
    planned = hours_by_person(station_id, (AssignmentState.ASSIGNED, AssignmentState.CONFIRMED), since, until)
    per_week = _places_per_week(
        station_id, week_bounds(week_start(first_day))[0], week_bounds(week_start(last_day))[1]
    )
    served = _series_served(station_id, shifts[0].starts_at)
    tags = {tag.id: tag for tag in db.session.scalars(sa.select(Tag).where(Tag.station_id == station_id))}
    holders_of = defaultdict(set)
    for person_id, person_facts in facts.items():
        for tag_id in person_facts.tag_ids:
            holders_of[tag_id].add(person_id)
    said = {person.id: facts.get(person.id) or PersonFacts() for person in people}
    busy = busy_spans(station_id, shifts[0].starts_at, max(shift.ends_at for shift in shifts))
    problem = Problem(
        people=tuple(
            Person(
                id=person.id,
                free_slots=said[person.id].slots,
                max_per_week=said[person.id].max_per_week,
                away=tuple((first, last) for first, last, _note in said[person.id].away),
                tag_ids=frozenset(said[person.id].tag_ids),
                building=_building_headed(person),
                done_quarters=round(done.get(person.id, 0) * 4),
                planned_quarters=round(planned.get(person.id, 0) * 4),
                week_counts=dict(per_week.get(person.id, {})),
                series_ids=frozenset(served.get(person.id, ())),
            )
            for person in people
        ),
        openings=tuple(_opening(shift, holders_of.get(shift.needs_tag_id, set()), busy) for shift in shifts),
    )
    return Plan(
        shifts={shift.id: shift for shift in shifts},
        people={person.id: person for person in people},
        problem=problem,
        proposal=propose(problem),
        facts=said,
        tags=tags,
    )


def _building_headed(person: User) -> str:
    return person.building.name if person.kind == Kind.BUILDING_HEAD and person.building else ""


# Explaining ------------------------------------------------------------------------------


def when_text(shift: Shift) -> str:
    """e.g. 周二上午 (or 周二上午至下午 for a shift over two parts of the day)."""
    _weekday, parts = day_parts(shift)
    ordered = sorted(parts)
    span = str(DAY_PART_LABELS[ordered[0]])
    if len(ordered) > 1:
        span = _("%(first)s to %(last)s", first=span, last=DAY_PART_LABELS[ordered[-1]])
    return f"{format_date(to_local(shift.starts_at).date(), 'EEE')}{span}"


@dataclass
class ProposedLine:
    shift: Shift
    person: User
    reason: str

    @property
    def value(self) -> str:
        return f"{self.shift.id}-{self.person.id}"


@dataclass
class EmptyPlace:
    shift: Shift
    places: int
    reason: str


def explained_lines(plan: Plan) -> list[ProposedLine]:
    """Each proposed place with why, e.g. 王师傅：周二上午有空，本月 3 小时（最少）."""
    proposal, lines = plan.proposal, []
    for line in proposal.lines:
        shift, person = plan.shifts[line.opening_id], plan.people[line.person_id]
        others = [proposal.load_before[p] for p in proposal.candidates[line.opening_id]]
        free_how = (
            _("free %(when)s", when=when_text(shift))
            if plan.facts[person.id].slots is not None
            else _("has not said when they are free")
        )
        reasons = [
            _(
                "%(name)s: %(free)s, %(hours)s hours this month",
                name=person.display_name,
                free=free_how,
                hours=f"{proposal.load_before[person.id] / 4:g}",
            )
        ]
        if proposal.load_before[person.id] <= min(others):
            reasons.append(_("(the fewest)"))
        if line.tagged and shift.needs_tag_id and shift.needs_tag_count:
            reasons.append(_("(is %(tag)s)", tag=plan.tags[shift.needs_tag_id].name))
        if line.continuity:
            reasons.append(_("(on this series before)"))
        if line.near_home:
            reasons.append(_("(heads %(building)s)", building=person.building.name))
        lines.append(ProposedLine(shift, person, "".join(reasons)))
    return lines


def empty_places(plan: Plan) -> list[EmptyPlace]:
    """Places left empty, each with why, e.g. 周六下午：2 人有空，需要 1 名党员，无人符合."""
    openings = {opening.id: opening for opening in plan.problem.openings}
    result = []
    for shift_id, places in plan.proposal.unfilled.items():
        shift, opening = plan.shifts[shift_id], openings[shift_id]
        free = len(plan.proposal.candidates[shift_id])
        when = f"{when_text(shift)} {shift.title}"
        if free == 0:
            reason = _("%(when)s: nobody is free then", when=when)
        elif opening.tagged_needed and opening.tag_id in plan.tags:
            reason = _(
                "%(when)s: %(free)s people are free, %(needed)s must be %(tag)s, nobody fits",
                when=when,
                free=free,
                needed=opening.tagged_needed,
                tag=plan.tags[opening.tag_id].name,
            )
        else:
            reason = _(
                "%(when)s: %(free)s people are free, all of them already placed at that time or this week",
                when=when,
                free=free,
            )
        result.append(EmptyPlace(shift, places, reason))
    return result


# Applying ----------------------------------------------------------------------------------


@dataclass
class Applied:
    placed: list[Assignment] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_line(value: str) -> tuple[int, int] | None:
    """A ticked line's value, "shift id-person id"; None for anything else."""
    shift_id, _sep, user_id = value.partition("-")
    if not (shift_id.isdigit() and user_id.isdigit() and len(shift_id) < 10 and len(user_id) < 10):
        return None
    return int(shift_id), int(user_id)


def _would_crowd_out_tag(shift: Shift, user_id: int, facts: dict[int, PersonFacts]) -> bool:
    """Whether one more person without the shift's tag leaves too few places for those with it."""
    if shift.needs_tag_id is None or not shift.needs_tag_count:
        return False

    def tagged(person_id: int) -> bool:
        return shift.needs_tag_id in (facts.get(person_id) or PersonFacts()).tag_ids

    if tagged(user_id):
        return False
    db.session.refresh(shift)
    untagged = sum(1 for a in shift.place_holders if not tagged(a.user_id))
    return untagged + 1 > shift.capacity - shift.needs_tag_count


def apply_lines(station_id: int, picks: list[tuple[int, int]], by: User) -> Applied:
    """Put each kept line's person on its shift as waiting for an answer; skip what became impossible.

    Each line goes through ``services.assign``: its own locked transaction, the same as a
    manual assignment, and the person is told the same way. Auto-fill's own rules
    (availability, dates away, the cut-off) are checked again on today's facts first.
    """
    result = Applied()
    shifts = {
        shift.id: shift
        for shift in db.session.scalars(
            sa.select(Shift).where(
                Shift.station_id == station_id,
                Shift.id.in_({shift_id for shift_id, _user in picks}),
                open_to_autofill(utcnow()),
            )
        )
    }
    days = [to_local(shift.starts_at).date() for shift in shifts.values()]
    facts = people_facts(station_id, min(days), max(days)) if days else {}
    for shift_id, user_id in sorted(set(picks)):
        shift = shifts.get(shift_id)
        if shift is None:
            result.skipped.append(_("A shift has started, was cancelled or is too close to its start."))
            continue
        where = f"{shift.title}（{when_text(shift)}）"
        if not (facts.get(user_id) or PersonFacts()).is_free_for(shift):
            result.skipped.append(_("%(shift)s: that person is no longer free then.", shift=where))
            continue
        if _would_crowd_out_tag(shift, user_id, facts):
            result.skipped.append(
                _(
                    "%(shift)s: the remaining places are kept for people tagged %(tag)s.",
                    shift=where,
                    tag=shift.needs_tag.name,
                )
            )
            continue
        try:
            result.placed.append(services.assign(shift_id, user_id, by=by))
        except RuleViolation as violation:
            result.skipped.append(f"{where}：{violation.message}")
    return result
