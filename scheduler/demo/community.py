"""The station, its 21 buildings and its staff accounts."""

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from scheduler.demo.names import demo_name, demo_phone
from scheduler.extensions import db
from scheduler.models import Building, Kind, Role, Station, User

BUILDING_COUNT = 21
DEMO_STATION_SLUG = "haiyuan-lidu"


def seed(password: str) -> None:
    station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
    if station is None:
        station = Station(
            slug=DEMO_STATION_SLUG,
            name="海源丽都小区党群驿站",
            community="丽都社区",
            street_office="凤林街道",
            address="海源丽都小区物业办公楼一层",
            phone="0631-5201234",
            opening_hours="周一至周五 9:00–11:30，14:30–17:00",
        )
        db.session.add(station)
        db.session.flush()
    existing_buildings = {b.name: b for b in station.buildings}
    for number in range(1, BUILDING_COUNT + 1):
        name = f"{number}号楼"
        if name not in existing_buildings:
            building = Building(station_id=station.id, name=name, sort_order=number)
            db.session.add(building)
            existing_buildings[name] = building
    db.session.flush()
    buildings = [existing_buildings[f"{n}号楼"] for n in range(1, BUILDING_COUNT + 1)]

    # One hash for every demo account: scrypt is slow on purpose, 60 times is too slow here.
    password_hash = generate_password_hash(password)
    people = demo_people(station, buildings)
    existing = set(db.session.scalars(sa.select(User.username)))
    for person in people:
        if person["username"] not in existing:
            db.session.add(User(password_hash=password_hash, **person))
    db.session.commit()


def demo_people(station: Station, buildings: list[Building]) -> list[dict]:
    index = iter(range(1000))
    people = [
        dict(username="street", display_name="凤林街道管理员", role=Role.SUPERADMIN, station_id=None),
        dict(
            username="secretary",
            display_name=demo_name(next(index)),
            role=Role.ADMIN,
            kind=Kind.PARTY_MEMBER,
            building_id=buildings[2].id,
        ),
        dict(
            username="coordinator",
            display_name=demo_name(next(index)),
            role=Role.COORDINATOR,
            kind=Kind.PARTY_MEMBER,
            building_id=buildings[7].id,
        ),
    ]
    for number, building in enumerate(buildings, start=1):
        people.append(
            dict(
                username=f"building{number:02d}",
                display_name=demo_name(next(index)),
                role=Role.VOLUNTEER,
                kind=Kind.BUILDING_HEAD,
                building_id=building.id,
            )
        )
    for number in range(1, 6):
        people.append(
            dict(
                username=f"party{number:02d}",
                display_name=demo_name(next(index)),
                role=Role.VOLUNTEER,
                kind=Kind.PARTY_MEMBER,
                building_id=buildings[(number * 4) % len(buildings)].id,
            )
        )
    for number in range(1, 16):
        people.append(
            dict(
                username=f"volunteer{number:02d}",
                display_name=demo_name(next(index)),
                role=Role.VOLUNTEER,
                kind=Kind.RESIDENT_VOLUNTEER,
                building_id=buildings[(number * 3) % len(buildings)].id,
            )
        )
    for number in range(1, 11):
        people.append(
            dict(
                username=f"property{number:02d}",
                display_name=demo_name(next(index)),
                role=Role.VOLUNTEER,
                kind=Kind.PROPERTY_STAFF,
            )
        )
    for position, person in enumerate(people, start=1):
        person.setdefault("station_id", station.id)
        person["phone"] = demo_phone(position) if person["role"] != Role.SUPERADMIN else ""
    return people
