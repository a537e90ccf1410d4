"""One page at a time, in-process: its time per request and where that time goes.

    .venv/bin/python -m bench.profile                    # /me for three people and the week board
    .venv/bin/python -m bench.profile --page secretary:/shifts/ --requests 200 --html /tmp/board.html

Builds the demo compound in a temporary SQLite file (as bench/run.py does), signs each
person in through the login form, warms the page up, then times ``--requests`` requests one
after another through the test client and profiles them with pyinstrument. No server and
no other load: the figures are the page's own cost on this machine.
"""

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.run import prepare_database

PAGES = ["volunteer01:/me", "building05:/me", "secretary:/me", "secretary:/shifts/"]
PASSWORD = "bench-password-2026"


def signed_in_client(app, username: str | None):
    client = app.test_client()
    if username:
        page = client.get("/auth/login").data
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        answer = client.post(
            "/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 302, f"login failed for {username}"
    return client


def count_statements(app, client, path: str) -> int:
    from scheduler.extensions import db

    with app.app_context():
        engine = db.engine
    statements = []

    def count(*_args):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--page", action="append", help="username:/path (anonymous: ':/path')")
    parser.add_argument("--requests", type=int, default=100, help="timed and profiled requests per page")
    parser.add_argument("--html", help="write the last page's profile as HTML to this file")
    parser.add_argument("--top", type=int, default=60, help="lines of the text profile")
    parser.add_argument("--flat", action="store_true", help="functions by their own time, not the call tree")
    arguments = parser.parse_args()
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'profile.sqlite3'}"
        prepare_database(url, 1, PASSWORD)
        from scheduler import create_app
        from scheduler.config import DevelopmentConfig

        app = create_app(DevelopmentConfig)
        for page in arguments.page or PAGES:
            username, path = page.split(":", 1)
            client = signed_in_client(app, username or None)
            for _ in range(20):
                assert client.get(path).status_code == 200, f"{page} did not answer 200"
            timings, cpu = [], []
            for _ in range(arguments.requests):
                started, started_cpu = time.perf_counter(), time.thread_time()
                client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.thread_time() - started_cpu) * 1000)
            statements = count_statements(app, client, path)
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(arguments.requests):
                    client.get(path)
            print(
                f"== {page}: median {statistics.median(timings):.1f} ms"
                f" (CPU {statistics.median(cpu):.1f} ms), best {min(timings):.1f} ms,"
                f" {statements} statements, {len(client.get(path).data) / 1024:.1f} KiB"
            )
            text = profiler.output(
                ConsoleRenderer(
                    unicode=True, flat=arguments.flat, show_all=arguments.flat, time="percent_of_total"
                )
            )
            print("\n".join(text.splitlines()[: arguments.top]))
            if arguments.html:
                Path(arguments.html).write_text(profiler.output_html())


if __name__ == "__main__":
    main()
