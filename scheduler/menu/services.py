"""The service menu's rules: categories, services, their order and publication."""

import hashlib
import re

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from scheduler.access import in_station
from scheduler.extensions import db
from scheduler.models import Service, ServiceCategory, Station, User
from scheduler.rules import RuleViolation

UP, DOWN = "up", "down"
SEARCH_MAX_LENGTH = 50


# Reading ----------------------------------------------------------------------


def station_services() -> list[Service]:
    """The current station's menu services in menu order, published or not."""
    return list(
        db.session.scalars(
            in_station(Service)
            .join(Service.category)
            .options(contains_eager(Service.category))
            .order_by(ServiceCategory.sort_order, ServiceCategory.id, Service.sort_order, Service.id)
        )
    )


_STATION_VERSION = sa.select(Station.id, Station.public_version).where(
    Station.slug == sa.bindparam("slug"), Station.active
)
_ACTIVE_STATIONS = (
    sa.select(Station.id, Station.slug, Station.public_version).where(Station.active).order_by(Station.id)
)


def station_scope(connection, slug: str) -> str | None:
    """The cache scope of a station's public pages (its data version), None if not public.

    ``connection``: a SQLAlchemy ``Connection`` or ``PlainReads`` (scheduler/database.py)."""
    rows = list(connection.execute(_STATION_VERSION, {"slug": slug}))
    if not rows:
        return None
    station_id, version = rows[0]
    return f"station:{station_id}:v{version}"


def get_public_station_or_404(slug: str) -> Station:
    return db.first_or_404(sa.select(Station).where(Station.slug == slug, Station.active))


def public_scope_or_404(slug: str) -> str:
    """The cache scope of the station's public pages: one small query on a connection of
    its own, so that a page served from the cache never opens an ORM session."""
    with db.engine.connect() as connection:
        scope = station_scope(connection, slug)
    if scope is None:
        abort(404)
    return scope


def index_scope(connection) -> tuple[str, str | None]:
    """The cache scope of ``/``, and the slug of the only station when there is one."""
    rows = list(connection.execute(_ACTIVE_STATIONS))
    if len(rows) == 1:
        station_id, slug, version = rows[0]
        return f"station:{station_id}:v{version}", slug
    versions = ",".join(f"{station_id}:{version}" for station_id, _slug, version in rows)
    return "stations:" + hashlib.blake2b(versions.encode(), digest_size=8).hexdigest(), None


def public_scope(connection, path: str) -> str | None:
    """The cache scope of a public page's address, or None for any other address."""
    if path == "/":
        return index_scope(connection)[0]
    if found := PUBLIC_PAGE.fullmatch(path):
        return station_scope(connection, found.group(1))
    return None


PUBLIC_PAGE = re.compile(r"/s/([^/]+)/(?:services/\d+|time-bank|board)?")


def published_services(station_id: int, category_id: int | None = None, search: str = "") -> list[Service]:
    """The public menu: published services in menu order, their categories loaded."""
    query = (
        sa.select(Service)
        .join(Service.category)
        .options(contains_eager(Service.category))
        .where(Service.station_id == station_id, Service.published)
        .order_by(ServiceCategory.sort_order, ServiceCategory.id, Service.sort_order, Service.id)
    )
    if category_id is not None:
        query = query.where(Service.category_id == category_id)
    if search:
        words = search.split()
        query = query.where(
            *[
                sa.or_(
                    Service.title.icontains(word, autoescape=True),
                    Service.summary.icontains(word, autoescape=True),
                    Service.description.icontains(word, autoescape=True),
                    ServiceCategory.name.icontains(word, autoescape=True),
                )
                for word in words
            ]
        )
    return list(db.session.scalars(query))


def public_categories(station_id: int) -> list[ServiceCategory]:
    """Categories that have at least one published service, in menu order."""
    has_published = (
        sa.select(Service.id).where(Service.category_id == ServiceCategory.id, Service.published).exists()
    )
    return list(
        db.session.scalars(
            sa.select(ServiceCategory)
            .where(ServiceCategory.station_id == station_id, has_published)
            .order_by(ServiceCategory.sort_order, ServiceCategory.id)
        )
    )


def station_categories(station_id: int) -> list[ServiceCategory]:
    return list(
        db.session.scalars(
            sa.select(ServiceCategory)
            .where(ServiceCategory.station_id == station_id)
            .order_by(ServiceCategory.sort_order, ServiceCategory.id)
        )
    )


def group_by_category(services: list[Service]) -> list[tuple[ServiceCategory, list[Service]]]:
    """Services (already in menu order) under their categories, keeping that order."""
    groups: dict[int, tuple[ServiceCategory, list[Service]]] = {}
    for service in services:
        groups.setdefault(service.category_id, (service.category, []))[1].append(service)
    return list(groups.values())


# Categories -------------------------------------------------------------------


def _ensure_category_name_free(station_id: int, name: str, except_id: int | None = None) -> None:
    query = sa.select(ServiceCategory.id).where(
        ServiceCategory.station_id == station_id, ServiceCategory.name == name
    )
    if except_id is not None:
        query = query.where(ServiceCategory.id != except_id)
    if db.session.scalar(query) is not None:
        raise RuleViolation(_("There is already a category with this name."), field="name")


def _next_sort_order(column, *criteria) -> int:
    return (db.session.scalar(sa.select(sa.func.max(column)).where(*criteria)) or 0) + 1


def create_category(station_id: int, name: str) -> ServiceCategory:
    _ensure_category_name_free(station_id, name)
    category = ServiceCategory(
        station_id=station_id,
        name=name,
        sort_order=_next_sort_order(ServiceCategory.sort_order, ServiceCategory.station_id == station_id),
    )
    db.session.add(category)
    db.session.commit()
    return category


def rename_category(category: ServiceCategory, name: str) -> ServiceCategory:
    _ensure_category_name_free(category.station_id, name, except_id=category.id)
    category.name = name
    db.session.commit()
    return category


def delete_category(category: ServiceCategory) -> None:
    if db.session.scalar(sa.select(Service.id).where(Service.category_id == category.id).limit(1)):
        raise RuleViolation(_("Move or remove the services of this category first."))
    db.session.delete(category)
    db.session.commit()


def _move(record, siblings_query: sa.Select, direction: str) -> None:
    """Swap ``record`` with its neighbour; siblings are renumbered 1..n on the way."""
    siblings = list(db.session.scalars(siblings_query))
    position = siblings.index(record)
    target = position - 1 if direction == UP else position + 1
    if 0 <= target < len(siblings):
        siblings[position], siblings[target] = siblings[target], siblings[position]
    for number, sibling in enumerate(siblings, start=1):
        sibling.sort_order = number
    db.session.commit()


def move_category(category: ServiceCategory, direction: str) -> None:
    _move(
        category,
        sa.select(ServiceCategory)
        .where(ServiceCategory.station_id == category.station_id)
        .order_by(ServiceCategory.sort_order, ServiceCategory.id),
        direction,
    )


# Services ---------------------------------------------------------------------


def _check_category(station_id: int, category_id: int | None) -> None:
    category = db.session.get(ServiceCategory, category_id) if category_id is not None else None
    if category is None or category.station_id != station_id:
        raise RuleViolation(_("Choose one of this station's categories."), field="category_id")


def _check_contact(contact_phone: str, contact_phone_public: bool) -> None:
    if contact_phone_public and not contact_phone:
        raise RuleViolation(
            _("Enter the phone number that the contact person agreed to show."), field="contact_phone"
        )


def _apply_fields(service: Service, editor: User, fields: dict) -> None:
    service.set_contact(
        fields.pop("contact_name"),
        fields.pop("contact_phone"),
        fields.pop("contact_phone_public"),
        recorded_by=editor,
    )
    for name, value in fields.items():
        setattr(service, name, value)


def create_service(station_id: int, editor: User, **fields) -> Service:
    """Fields: category_id, title, summary, description, when_offered, where_offered,
    contact_name, contact_phone, contact_phone_public, published, requestable."""
    _check_category(station_id, fields["category_id"])
    _check_contact(fields["contact_phone"], fields["contact_phone_public"])
    service = Service(
        station_id=station_id,
        sort_order=_next_sort_order(Service.sort_order, Service.category_id == fields["category_id"]),
    )
    _apply_fields(service, editor, fields)
    db.session.add(service)
    db.session.commit()
    return service


def update_service(service: Service, editor: User, **fields) -> Service:
    """The fields of ``create_service``; a service moved to another category goes last there."""
    _check_category(service.station_id, fields["category_id"])
    _check_contact(fields["contact_phone"], fields["contact_phone_public"])
    if fields["category_id"] != service.category_id:
        service.sort_order = _next_sort_order(
            Service.sort_order, Service.category_id == fields["category_id"]
        )
    _apply_fields(service, editor, fields)
    db.session.commit()
    return service


def set_published(service: Service, published: bool) -> Service:
    service.published = published
    db.session.commit()
    return service


def move_service(service: Service, direction: str) -> None:
    _move(
        service,
        sa.select(Service)
        .where(Service.category_id == service.category_id)
        .order_by(Service.sort_order, Service.id),
        direction,
    )
