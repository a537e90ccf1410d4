"""``flask generate-visits``: run daily from cron; safe to run again."""

import click
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Station
from scheduler.tasks.blueprint import bp
from scheduler.tasks.planning import generate_due_visits


@bp.cli.command("generate-visits")
@click.option("--station", "station_slug", default=None, help="Only this station (default: every station).")
def generate_visits_command(station_slug: str | None) -> None:
    """Create a visit task for every resident whose regular visit is due."""
    station_id = None
    if station_slug:
        station_id = db.session.scalar(sa.select(Station.id).where(Station.slug == station_slug))
        if station_id is None:
            raise click.ClickException(f"No station {station_slug}.")
    created = generate_due_visits(station_id)
    click.echo(f"{created} visit tasks created.")
