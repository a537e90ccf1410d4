"""Page speed under load, measured against a trivial route of the same app.

    make bench            # or: .venv/bin/python -m bench.run --stations 1 30

For each scale (1 station = the demo compound; 30 = a whole street office) it builds a
fresh SQLite database (or uses --database-url, e.g. a PostgreSQL test database),
starts gunicorn on loopback, signs in the demo users, and sends a fixed number of
requests per page from several threads. Each page's cost is reported relative to
/healthz, so the figures mean something on any machine. Bounded and self-stopping.
"""

import argparse
import os
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bench.data import clone_station, row_count
from bench.load import Client, gunicorn, hammer, log

# (who signs in, page): the pages each person opens most, public ones first.
PAGES = [
    (None, "/healthz"),
    (None, "/s/haiyuan-lidu/"),
    (None, "/auth/login"),
    ("volunteer01", "/me"),
    ("building05", "/me"),
    ("secretary", "/me"),
    ("secretary", "/shifts/"),
    ("secretary", "/tasks/"),
    ("secretary", "/requests"),
    ("secretary", "/beneficiaries/"),
    ("secretary", "/reports/"),
    ("secretary", "/people/"),
]


def prepare_database(url: str, stations: int, password: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["SCHEDULER_ENV"] = "development"
    from flask_migrate import upgrade

    from scheduler import create_app
    from scheduler.config import DevelopmentConfig
    from scheduler.demo import DEMO_STATION_SLUG, seed_demo
    from scheduler.extensions import db
    from scheduler.models import Station

    DevelopmentConfig.SQLALCHEMY_DATABASE_URI = url
    app = create_app(DevelopmentConfig)
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        seed_demo(password)
        source = db.session.scalar(sa.select(Station.id).where(Station.slug == DEMO_STATION_SLUG))
        for copy_number in range(1, stations):
            clone_station(source, copy_number)
        log(f"  {stations} station(s), {row_count()} rows")
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stations", type=int, nargs="+", default=[1, 30])
    parser.add_argument("--requests", type=int, default=400, help="requests per page")
    parser.add_argument("--threads", type=int, default=8, help="simultaneous clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    arguments = parser.parse_args()
    password = "bench-password-2026"

    for stations in arguments.stations:
        with tempfile.TemporaryDirectory() as folder:
            url = arguments.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            log(f"== {stations} station(s) on {url.split(':')[0]}")
            prepare_database(url, stations, password)
            env = {"DATABASE_URL": url, "SCHEDULER_ENV": "development", "RATELIMIT_STORAGE_URI": "memory://"}
            with gunicorn(env, workers=arguments.workers) as port:
                baseline = None
                for username, path in PAGES:
                    clients = [Client(port) for _ in range(arguments.threads)]
                    if username:
                        clients = [client.login(username, password) for client in clients]
                    hammer(clients, path, max(40, arguments.requests // 10))  # warm-up
                    result = hammer(clients, path, arguments.requests)
                    baseline = baseline or result
                    who = username or "anonymous"
                    compared = None if result is baseline else baseline
                    print(f"[{stations:>2} st] {who:<12} {result.line(compared)}")


if __name__ == "__main__":
    main()
