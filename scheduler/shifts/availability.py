"""When people can serve and what they are: saving it, and reading it for the picker and auto-fill."""

from dataclasses import dataclass, field
from datetime import date, time

import sqlalchemy as sa
from flask_babel import gettext as _

from scheduler.extensions import db
from scheduler.models import (
    MAX_SHIFTS_PER_WEEK,
    Availability,
    DateAway,
    DayPart,
    Shift,
    Tag,
    User,
    person_tag,
    slot_bit,
)
from scheduler.rules import RuleViolation
from scheduler.shifts.services import transaction
from scheduler.shifts.weeks import to_local

MAX_TAGS_PER_PERSON = 10


def station_tags(station_id: int) -> list[Tag]:
    return list(db.session.scalars(sa.select(Tag).where(Tag.station_id == station_id).order_by(Tag.name)))


def day_parts(shift: Shift) -> tuple[int, set[DayPart]]:
    """The local weekday (Monday = 0) a shift starts on, and every part of that day it touches."""
    starts, ends = to_local(shift.starts_at), to_local(shift.ends_at)
    day_end = ends.time() if ends.date() == starts.date() else time.max
    parts = {
        part
        for part in DayPart
        if starts.time() < (DayPart(part + 1).begins if part < DayPart.EVENING else time.max)
        and part.begins < day_end
    }
    return starts.weekday(), parts


@dataclass
class PersonFacts:
    """What auto-fill and the picker know of one person besides their shifts."""

    slots: int | None = None  # None: they have not said, so any time may suit them
    max_per_week: int | None = None
    away: list[tuple[date, date, str]] = field(default_factory=list)
    tag_ids: set[int] = field(default_factory=set)

    def is_away(self, day: date) -> bool:
        return any(first <= day <= last for first, last, _note in self.away)

    def is_free_for(self, shift: Shift) -> bool:
        """Said they can serve then, or said nothing; and not away that day."""
        weekday, parts = day_parts(shift)
        if self.is_away(to_local(shift.starts_at).date()):
            return False
        return self.slots is None or all(self.slots & slot_bit(weekday, part) for part in parts)


def people_facts(station_id: int, first_day: date, last_day: date) -> dict[int, PersonFacts]:
    """Availability, dates away overlapping the days, and tags of a station's people, in three queries."""
    facts: dict[int, PersonFacts] = {}
    for row in db.session.scalars(sa.select(Availability).where(Availability.station_id == station_id)):
        facts[row.user_id] = PersonFacts(slots=row.slots, max_per_week=row.max_per_week)
    away_rows = db.session.scalars(
        sa.select(DateAway)
        .where(
            DateAway.station_id == station_id,
            DateAway.first_day <= last_day,
            DateAway.last_day >= first_day,
        )
        .order_by(DateAway.first_day)
    )
    for away in away_rows:
        facts.setdefault(away.user_id, PersonFacts()).away.append((away.first_day, away.last_day, away.note))
    tag_rows = db.session.execute(
        sa.select(person_tag.c.user_id, person_tag.c.tag_id)
        .join(Tag, Tag.id == person_tag.c.tag_id)
        .where(Tag.station_id == station_id)
    )
    for user_id, tag_id in tag_rows:
        facts.setdefault(user_id, PersonFacts()).tag_ids.add(tag_id)
    return facts


def availability_of(person: User) -> Availability | None:
    return db.session.get(Availability, person.id)


def dates_away_of(person: User, since: date) -> list[DateAway]:
    return list(
        db.session.scalars(
            sa.select(DateAway)
            .where(DateAway.user_id == person.id, DateAway.last_day >= since)
            .order_by(DateAway.first_day)
        )
    )


def tags_of(person: User) -> list[Tag]:
    return list(
        db.session.scalars(
            sa.select(Tag).join(person_tag).where(person_tag.c.user_id == person.id).order_by(Tag.name)
        )
    )


# Saving -------------------------------------------------------------------------------------


def save_availability(person: User, slots: int, max_per_week: int | None) -> Availability:
    if max_per_week is not None and not 1 <= max_per_week <= MAX_SHIFTS_PER_WEEK:
        raise RuleViolation(
            _("Between 1 and %(most)s shifts, or leave it empty.", most=MAX_SHIFTS_PER_WEEK),
            field="max_per_week",
        )
    with transaction():
        row = availability_of(person) or Availability(user_id=person.id, station_id=person.station_id)
        row.slots, row.max_per_week = slots, max_per_week
        db.session.add(row)
        return row


def add_date_away(person: User, first_day: date, last_day: date, note: str) -> DateAway:
    if last_day < first_day:
        raise RuleViolation(_("The last day must not be before the first day."), field="last_day")
    with transaction():
        away = DateAway(
            user_id=person.id, station_id=person.station_id, first_day=first_day, last_day=last_day, note=note
        )
        db.session.add(away)
        return away


def remove_date_away(person: User, away_id: int) -> None:
    with transaction():
        result = db.session.execute(
            sa.delete(DateAway).where(DateAway.id == away_id, DateAway.user_id == person.id)
        )
        if result.rowcount == 0:
            raise RuleViolation(_("These dates are no longer listed."))


def set_tags(person: User, names: list[str]) -> list[Tag]:
    """Give a person exactly these tags of their station, creating tag names not used before."""
    names = list(dict.fromkeys(name for name in names if name))
    if len(names) > MAX_TAGS_PER_PERSON:
        raise RuleViolation(_("At most %(count)s tags.", count=MAX_TAGS_PER_PERSON), field="tags")
    if any(len(name) > 20 for name in names):
        raise RuleViolation(_("A tag has at most 20 characters."), field="tags")
    with transaction():
        known = {tag.name: tag for tag in station_tags(person.station_id)}
        tags = [known.get(name) or Tag(station_id=person.station_id, name=name) for name in names]
        db.session.add_all(tags)
        db.session.flush()
        db.session.execute(sa.delete(person_tag).where(person_tag.c.user_id == person.id))
        if tags:
            db.session.execute(sa.insert(person_tag), [{"user_id": person.id, "tag_id": t.id} for t in tags])
        return tags


def free_times_text(facts: PersonFacts | None, shift: Shift) -> str:
    """The picker's word on availability for one shift."""
    facts = facts or PersonFacts()
    if facts.is_away(to_local(shift.starts_at).date()):
        return _("away that day")
    if facts.slots is None:
        return _("has not said when they are free")
    return _("usually free then") if facts.is_free_for(shift) else _("usually not free then")
