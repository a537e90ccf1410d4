"""Command-line tasks: ``flask --app wsgi seed-demo | create-station | create-user``."""

import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app

from scheduler.auth.passwords import password_problem
from scheduler.extensions import db
from scheduler.models import Role, Station
from scheduler.rules import RuleViolation


def read_password(username: str) -> str:
    """From a prompt on a terminal, or the first line of standard input otherwise."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    problem = password_problem(password, username)
    if problem:
        raise click.ClickException(str(problem))
    return password


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--password", default=None, help="Password for every demo account.")
    @click.option(
        "--if-empty", is_flag=True, help="Only seed a database without stations; print the logins anyway."
    )
    def seed_demo_command(password: str | None, if_empty: bool) -> None:
        """Create (or complete) the demo station of 海源丽都 and print its logins."""
        from scheduler.demo import DEFAULT_DEMO_PASSWORD, DEMO_LOGINS, seed_demo

        password = password or DEFAULT_DEMO_PASSWORD
        problem = password_problem(password)
        if problem:
            raise click.ClickException(str(problem))
        if if_empty and db.session.scalar(sa.select(Station.id).limit(1)) is not None:
            click.echo("The database already holds data; demo data left as it is.")
        else:
            seed_demo(password)
            click.echo("Demo station 海源丽都小区党群驿站 is ready.")
        click.echo("Demo logins (sign in at /auth/login):")
        for username, who in DEMO_LOGINS:
            click.echo(f"  {username:<12} {who}")
        click.echo(f"  password: {password} (unless the demo was seeded with --password)")

    @app.cli.command("create-station")
    @click.argument("slug")
    @click.argument("name")
    @click.option("--buildings", default=1, show_default=True, help="Number of buildings.")
    def create_station_command(slug: str, name: str, buildings: int) -> None:
        """Create a station with numbered buildings."""
        from scheduler.people.services import create_station

        try:
            station = create_station(slug=slug.lower(), name=name, building_count=buildings)
        except RuleViolation as violation:
            raise click.ClickException(violation.message) from None
        click.echo(f"Station {station.slug} created with {buildings} buildings.")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
    @click.option("--station", "station_slug", default=None, help="Station slug (not for superadmin).")
    @click.option("--name", "display_name", default=None, help="Display name (default: username).")
    @click.option(
        "--invite",
        is_flag=True,
        help="Print a one-time link for the person to choose their own password (no password prompt).",
    )
    def create_user_command(
        username: str, role: str, station_slug: str | None, display_name: str | None, invite: bool
    ) -> None:
        """Create an account; password from a prompt or standard input, or chosen via an --invite link."""
        from scheduler.people.services import create_account, create_invited_account

        station_id = None
        if role != Role.SUPERADMIN:
            query = sa.select(Station)
            if station_slug:
                query = query.where(Station.slug == station_slug)
            stations = db.session.scalars(query).all()
            if len(stations) != 1:
                raise click.ClickException("Name the station with --station SLUG.")
            station_id = stations[0].id
        fields = dict(
            station_id=station_id, username=username, display_name=display_name or username, role=Role(role)
        )
        try:
            if invite:
                _user, link = create_invited_account(issued_by=None, **fields)
            else:
                create_account(password=read_password(username), **fields)
        except RuleViolation as violation:
            raise click.ClickException(violation.message) from None
        click.echo(f"User {username.lower()} created with role {role}.")
        if invite:
            hours = current_app.config["INVITATION_VALID_HOURS"]
            click.echo(f"Give this link to the person (it works once, for {hours} hours):\n{link}")
