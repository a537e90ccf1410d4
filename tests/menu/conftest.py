"""Factories for the service menu and residents' requests."""

from itertools import count

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Building, Service, ServiceCategory, ServiceRequest, Station, new_reference
from tests.conftest import persist

_sequence = count(1)


@pytest.fixture
def make_category(app, station):
    def make(name: str | None = None, station: Station = station, **fields) -> ServiceCategory:
        number = next(_sequence)
        return persist(
            app,
            ServiceCategory(
                station_id=station.id,
                name=name or f"分类{number}",
                sort_order=fields.pop("sort_order", number),
            ),
        )

    return make


@pytest.fixture
def make_service(app, station, make_category):
    """A published, requestable service (override with keywords)."""

    def make(title: str | None = None, category: ServiceCategory | None = None, **fields) -> Service:
        number = next(_sequence)
        owner = fields.pop("station", station)
        category = category or make_category(station=owner)
        values = dict(
            station_id=owner.id,
            category_id=category.id,
            title=title or f"服务{number}",
            summary=f"服务{number}的简介",
            published=True,
            requestable=True,
            sort_order=number,
        )
        values.update(fields)
        return persist(app, Service(**values))

    return make


def buildings_of(app, station: Station) -> list[Building]:
    with app.app_context():
        buildings = db.session.scalars(
            sa.select(Building).where(Building.station_id == station.id).order_by(Building.sort_order)
        ).all()
        db.session.expunge_all()
    return list(buildings)


@pytest.fixture
def make_request(app):
    """A resident's request for ``service`` in its station's first building."""

    def make(service: Service, **fields) -> ServiceRequest:
        number = next(_sequence)
        with app.app_context():
            building_id = db.session.scalar(
                sa.select(Building.id).where(Building.station_id == service.station_id).limit(1)
            )
        values = dict(
            station_id=service.station_id,
            service_id=service.id,
            reference=new_reference(),
            resident_name=f"居民{number}",
            building_id=building_id,
            unit_room="1单元101",
            phone=f"1381234{number:04d}",
        )
        values.update(fields)
        return persist(app, ServiceRequest(**values))

    return make


def load(app, model, record_id):
    """A fresh copy of one record, detached, for assertions."""
    with app.app_context():
        record = db.session.get(model, record_id)
        if record is not None:
            db.session.expunge(record)
        return record


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def menu_in_order(make_category, make_service):
    """A menu made so that each ordering rule changes what comes first: categories by sort
    order (then id, for a tie), services by sort order. Returns the titles in menu order."""
    everyday = make_category("便民服务", sort_order=2)
    care = make_category("关爱老人", sort_order=1)
    leisure, legal = make_category("文体活动", sort_order=3), make_category("法律服务", sort_order=3)
    make_service("送药上门", care, sort_order=2)
    make_service("陪同就医", care, sort_order=1)
    make_service("水电小修", everyday, sort_order=1)
    make_service("剪纸兴趣班", leisure, sort_order=2)
    make_service("法律咨询", legal, sort_order=1)
    return ["陪同就医", "送药上门", "水电小修", "剪纸兴趣班", "法律咨询"]
