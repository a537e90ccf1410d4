"""Command-line tasks: ``flask --app wsgi seed-demo | create-station | create-user | backup | restore``."""

import sys
from pathlib import Path

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

    @app.cli.command("retention")
    @click.option("--dry-run", is_flag=True, help="Only count what would be erased or deleted.")
    def retention_command(dry_run: bool) -> None:
        """Erase personal data past its retention period (README: Retention); daily from cron."""
        from scheduler.retention import run_retention

        counts = run_retention(dry_run=dry_run)
        config = app.config
        verb = "would be" if dry_run else "were"
        click.echo(
            f"{counts.requests} requests closed more than {config['REQUEST_RETENTION_DAYS']} days ago "
            f"{verb} stripped of the resident's personal data."
        )
        click.echo(
            f"{counts.residents} residents out of care for more than {config['CARE_RETENTION_DAYS']} days "
            f"{verb} stripped of their personal data."
        )
        click.echo(
            f"{counts.access_log} access-log rows older than {config['ACCESS_LOG_RETENTION_DAYS']} days "
            f"{verb} deleted."
        )
        if dry_run:
            click.echo("Dry run: nothing was changed.")

    @app.cli.command("backup")
    @click.argument("path", required=False, type=click.Path(path_type=Path))
    @click.option(
        "--keep",
        type=click.IntRange(min=1),
        default=None,
        help="Then delete all but the N newest timestamped backups in that folder.",
    )
    def backup_command(path: Path | None, keep: int | None) -> None:
        """Back up the database to PATH (default: instance/backups/<name>-<UTC time>), checked.

        PATH may be a folder (a timestamped file is made in it) or a file name.
        """
        from scheduler.backup import BackupError, backup_path, make_backup, prune_backups

        url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        destination = backup_path(url, path, Path(app.instance_path) / "backups")
        try:
            made = make_backup(url, destination)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Backup written and checked: {made} ({made.stat().st_size} bytes).")
        if keep:
            for removed in prune_backups(url, made.parent, keep):
                click.echo(f"Old backup deleted: {removed}")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
    def restore_command(path: Path) -> None:
        """Replace the database with the backup at PATH; the app must be stopped first.

        The current database is kept aside (SQLite: renamed with a timestamp beside it;
        PostgreSQL: dumped to instance/backups/) and both copies are checked.
        """
        from scheduler.backup import BackupError, restore_backup

        # This process must hold no connection of its own to the database it replaces.
        db.session.remove()
        db.engine.dispose()
        url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            result = restore_backup(url, path, Path(app.instance_path) / "backups")
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        for kept in result.kept_aside:
            click.echo(f"The previous database is kept at {kept}.")
        rows = ", ".join(f"{table} {count}" for table, count in result.tables.items())
        click.echo(f"Restored from {result.restored_from} and checked. Rows: {rows}.")
        click.echo("If the backup is older than this version of the app, run `flask db upgrade` next.")
