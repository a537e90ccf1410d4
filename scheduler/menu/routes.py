"""The public face of a station: what residents see after scanning the poster."""

from datetime import datetime

import segno
import sqlalchemy as sa
from flask import current_app, request, url_for
from flask_login import current_user
from markupsafe import Markup

from scheduler.extensions import db
from scheduler.forms import search_words
from scheduler.inputs import parse_id
from scheduler.menu.blueprint import bp
from scheduler.menu.services import (
    SEARCH_MAX_LENGTH,
    get_public_station_or_404,
    group_by_category,
    index_scope,
    public_categories,
    public_scope_or_404,
    published_services,
)
from scheduler.models import Service, Station
from scheduler.public_cache import Built, serve_public
from scheduler.rendering import render
from scheduler.requests.services import may_file_for_residents
from scheduler.shifts.queries import ActivityDate, coming_activity_dates

# How many coming dates of a service's activities residents see (e.g. the next paper-cutting classes).
DATES_IN_MENU = 2
DATES_ON_SERVICE_PAGE = 6


def active_stations() -> list[Station]:
    return list(db.session.scalars(sa.select(Station).where(Station.active).order_by(Station.name)))


def get_published_service_or_404(station: Station, service_id: int) -> Service:
    return db.first_or_404(
        sa.select(Service).where(
            Service.id == service_id, Service.station_id == station.id, Service.published
        )
    )


def first_start(dates: list[ActivityDate]) -> datetime | None:
    """When the earliest shown date starts, and so leaves the page: the cached copy's end."""
    return min((date.starts_at for date in dates), default=None)


@bp.get("/")
def index():
    with db.engine.connect() as connection:
        scope, only_slug = index_scope(connection)
    if only_slug:
        return serve_public(scope, lambda: _menu(only_slug))
    return serve_public(scope, lambda: Built(render("menu/stations.html", stations=active_stations())))


@bp.get("/s/<slug>/")
def station_menu(slug: str):
    """The menu, filtered by one category or searched by keyword (as links, a form, or htmx)."""
    return serve_public(public_scope_or_404(slug), lambda: _menu(slug))


def _menu(slug: str) -> Built:
    station = get_public_station_or_404(slug)
    categories = public_categories(station.id)
    category_id = request.args.get("category", type=parse_id)
    known_category = category_id in {category.id for category in categories}
    if not known_category:
        category_id = None
    search = search_words(request.args.get("q", ""), SEARCH_MAX_LENGTH)
    services = published_services(station.id, category_id, search)
    activity_dates = coming_activity_dates(station.id, [service.id for service in services], DATES_IN_MENU)
    response = render(
        "menu/station.html",
        block="results",
        station=station,
        categories=categories,
        category_id=category_id,
        search=search,
        groups=group_by_category(services),
        activity_dates=activity_dates,
    )
    return Built(
        response,
        good_until=first_start([date for dates in activity_dates.values() for date in dates]),
        # Searches and unknown categories are answered, not kept: they could be anything.
        cacheable=not search and (known_category or "category" not in request.args),
    )


@bp.get("/s/<slug>/services/<id:service_id>")
def service_page(slug: str, service_id: int):
    scope = public_scope_or_404(slug)

    def build() -> Built:
        station = get_public_station_or_404(slug)
        service = get_published_service_or_404(station, service_id)
        may_file = (
            current_user.is_authenticated
            and current_user.station_id == station.id
            and may_file_for_residents(current_user)
        )
        dates = coming_activity_dates(station.id, [service.id], DATES_ON_SERVICE_PAGE).get(service.id, [])
        response = render(
            "menu/service.html",
            station=station,
            service=service,
            may_file_for_residents=may_file,
            activity_dates=dates,
        )
        return Built(response, good_until=first_start(dates))

    return serve_public(scope, build)


def public_menu_url(station: Station) -> str:
    """The absolute address printed on posters: it must work from any phone."""
    return current_app.config["BASE_URL"] + url_for("menu.station_menu", slug=station.slug)


@bp.get("/s/<slug>/poster")
def poster(slug: str):
    """A printable A4 poster whose QR code leads to the station's public menu."""
    station = get_public_station_or_404(slug)
    menu_url = public_menu_url(station)
    # segno escapes the title it writes into the SVG, so the markup is safe to embed.
    qr_svg = Markup(segno.make(menu_url, error="m").svg_inline(scale=10, omitsize=True, title=station.name))
    return render(
        "menu/poster.html",
        station=station,
        categories=public_categories(station.id),
        menu_url=menu_url,
        board_url=current_app.config["BASE_URL"] + url_for("board.board", slug=station.slug),
        find_url=current_app.config["BASE_URL"] + url_for("menu.find_request"),
        qr_svg=qr_svg,
    )
