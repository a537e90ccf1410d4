"""``flask --app wsgi notices send`` (for cron, every minute) and ``notices worker`` (a service)."""

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.outbox.delivery import Tally, deliver_due
from scheduler.outbox.reminders import create_due_reminders


def run_once(stopping=lambda: False) -> tuple[int, Tally]:
    """Queue the reminders that are due, then send everything due. Links need the base URL."""
    app = current_app._get_current_object()
    with app.test_request_context("/", base_url=app.config["BASE_URL"]):
        reminders = create_due_reminders(utcnow())
        tally = deliver_due(stopping)
        db.session.remove()
    return reminders, tally


def report(reminders: int, tally: Tally) -> str:
    return (
        f"reminders queued: {reminders}, sent: {tally.sent}, "
        f"to retry: {tally.retrying}, failed: {tally.failed}"
    )


def register_notices_cli(app: Flask) -> None:
    notices = AppGroup("notices", help="Send notices to WeCom, DingTalk, e-mail and webhooks.")

    @notices.command("send")
    def send_command() -> None:
        """Queue due reminders, deliver everything queued that is due, and exit (cron: every minute)."""
        click.echo(report(*run_once()))

    @notices.command("worker")
    @click.option("--sleep", "pause", default=5.0, show_default=True, help="Seconds between rounds.")
    def worker_command(pause: float) -> None:
        """Do what `send` does, again and again, until SIGTERM or Ctrl-C (finishes the message in hand)."""
        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        click.echo("notices worker: started")
        while not stop.is_set():
            reminders, tally = run_once(stop.is_set)
            if reminders or tally.sent or tally.failed or tally.retrying:
                click.echo(report(reminders, tally))
            stop.wait(pause)
        click.echo("notices worker: stopped")

    app.cli.add_command(notices)
