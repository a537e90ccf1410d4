"""When the demo people can serve, their dates away and tags, so auto-fill proposes a sensible week.

Party members carry 党员, and the 先锋驿站 duty asks for one on each shift; two people cut
hair (理发) and one is a retired nurse (医护), whom the health check asks for. Everyone
says a usual week (mornings for most, afternoons for some), a few say at most two shifts
a week, and two are away next week. Same seed, same station: idempotent.
"""

import random
from datetime import timedelta

import sqlalchemy as sa

from scheduler.demo.community import DEMO_STATION_SLUG
from scheduler.extensions import db
from scheduler.models import (
    Availability,
    DateAway,
    DayPart,
    Kind,
    Role,
    Shift,
    ShiftSeries,
    Station,
    Tag,
    User,
    person_tag,
    slot_bit,
)
from scheduler.shifts.weeks import local_today, week_start

SEED = 14
# Tag, how many places of which series (by title and area) need it.
NEEDS = [("党员", "驿站值班", "先锋驿站", 1), ("医护", "健康测量协助", "服务易站", 1)]


def seed(password: str) -> None:
    station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
    if station is None or db.session.scalar(sa.select(Tag.id).where(Tag.station_id == station.id)):
        return
    tags = {name: Tag(station_id=station.id, name=name) for name in ("党员", "理发", "医护")}
    db.session.add_all(tags.values())
    db.session.flush()
    people = list(
        db.session.scalars(
            sa.select(User)
            .where(User.station_id == station.id, User.role == Role.VOLUNTEER, User.active)
            .order_by(User.username)
        )
    )
    rng = random.Random(SEED)
    tagged = [(p.id, tags["党员"].id) for p in people if p.kind == Kind.PARTY_MEMBER]
    tagged += [(p.id, tags["理发"].id) for p in people[1:3]] + [(people[3].id, tags["医护"].id)]
    db.session.execute(sa.insert(person_tag), [{"user_id": u, "tag_id": t} for u, t in tagged])
    for person in people:
        usual = DayPart.MORNING if rng.random() < 0.6 else DayPart.AFTERNOON
        slots = sum(slot_bit(day, usual) for day in range(7) if rng.random() < 0.7)
        slots |= sum(slot_bit(day, DayPart.AFTERNOON) for day in range(5) if rng.random() < 0.3)
        db.session.add(
            Availability(
                user_id=person.id,
                station_id=station.id,
                slots=slots,
                max_per_week=2 if rng.random() < 0.3 else None,
            )
        )
    next_monday = week_start(local_today()) + timedelta(days=7)
    for person, note in zip(rng.sample(people, 2), ["外出探亲", "带孙子"], strict=True):
        db.session.add(
            DateAway(
                user_id=person.id,
                station_id=station.id,
                first_day=next_monday + timedelta(days=1),
                last_day=next_monday + timedelta(days=3),
                note=note,
            )
        )
    for tag_name, title, location, count in NEEDS:
        series_ids = db.session.scalars(
            sa.select(Shift.series_id)
            .where(Shift.station_id == station.id, Shift.title == title, Shift.location == location)
            .distinct()
        ).all()
        need = {"needs_tag_id": tags[tag_name].id, "needs_tag_count": count}
        db.session.execute(sa.update(ShiftSeries).where(ShiftSeries.id.in_(series_ids)).values(**need))
        db.session.execute(
            sa.update(Shift)
            .where(Shift.station_id == station.id, Shift.title == title, Shift.location == location)
            .values(**need)
        )
    db.session.commit()
