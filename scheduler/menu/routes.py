"""The public face of a station: what residents see after scanning the poster."""

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.menu import bp
from scheduler.models import Station
from scheduler.rendering import render


def active_stations() -> list[Station]:
    return list(db.session.scalars(sa.select(Station).where(Station.active).order_by(Station.name)))


def get_public_station_or_404(slug: str) -> Station:
    return db.first_or_404(sa.select(Station).where(Station.slug == slug, Station.active))


@bp.get("/")
def index():
    stations = active_stations()
    if len(stations) == 1:
        return station_menu(stations[0].slug)
    return render("menu/stations.html", stations=stations)


@bp.get("/s/<slug>/")
def station_menu(slug: str):
    station = get_public_station_or_404(slug)
    return render("menu/station.html", station=station)
