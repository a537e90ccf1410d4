"""Page speed under load, each page against the floor measured in the same run.

    make bench            # SQLite; PostgreSQL too with BENCH_POSTGRES_URL=postgresql+psycopg://...
    .venv/bin/python -m bench.run --stations 1 30 --postgres-url postgresql+psycopg://postgres@127.0.0.1/bench

The floor is a one-route Flask app answering "ok" (bench/floor.py) under the same gunicorn
set-up. For each database and scale (1 station = the demo compound; 30 = a whole street
office) it builds the data (on PostgreSQL: it DROPS the schema of the database given),
starts gunicorn on loopback, signs in the demo users, and measures each page with wrk (or
Python threads) at 16 connections. Then: a scan rush (200 clients on the public pages for
30 s), the bytes of a first and a repeat visit to /, and a worker's memory over 20,000
requests. Everything is bounded in time and stops by itself; traffic stays on 127.0.0.1.
"""

import argparse
import gzip
import os
import re
import tempfile
import time
from pathlib import Path

import brotli
import sqlalchemy as sa

from bench.data import clone_station, row_count
from bench.load import Client, gunicorn, hammer, log
from bench.wrk import BROWSER_HEADERS, have_wrk, measure

MENU = "/s/haiyuan-lidu/"
# (who signs in, page, target as a fraction of the floor): the pages each person opens most.
PAGES = [
    (None, "/healthz", None),
    (None, "/", 0.5),
    (None, MENU, 0.5),
    (None, "{service}", 0.5),
    (None, "/auth/login", None),
    ("volunteer01", "/me", 0.15),
    ("building05", "/me", 0.15),
    ("secretary", "/me", 0.15),
    ("secretary", "/shifts/", 0.10),
    ("secretary", "/tasks/", None),
    ("secretary", "/requests", None),
    ("secretary", "/beneficiaries/", None),
    ("secretary", "/reports/", None),
    ("secretary", "/people/", None),
]
CONNECTIONS = 16
# /me under 16 clients: its p99 at most this many times its p50.
ME_TAIL_TARGET = 4.0
FIRST_VISIT_TARGET, REPEAT_VISIT_TARGET = 30 * 1024, 5 * 1024


def prepare_database(url: str, stations: int, password: str) -> list[str]:
    """Build the data; returns the addresses of the demo station's published service pages."""
    os.environ["DATABASE_URL"] = url
    os.environ["SCHEDULER_ENV"] = "development"
    from flask_migrate import upgrade

    from scheduler import create_app
    from scheduler.config import DevelopmentConfig
    from scheduler.demo import DEMO_STATION_SLUG, seed_demo
    from scheduler.extensions import db
    from scheduler.models import Service, Station

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
        services = db.session.scalars(
            sa.select(Service.id).where(Service.station_id == source, Service.published).order_by(Service.id)
        ).all()
        db.engine.dispose()
    return [f"{MENU}services/{service_id}" for service_id in services]


def header_bytes(status: int, headers) -> int:
    return len(f"HTTP/1.1 {status} X\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in headers.items()) + 2


def page_weight(port: int) -> tuple[int, int]:
    """Bytes on the wire for a first visit to / (page, CSS, htmx) and for a repeat visit."""
    client = Client(port)
    status, body, headers = client.exchange("/", BROWSER_HEADERS)
    first = header_bytes(status, headers) + len(body)
    encoding = headers.get("Content-Encoding")
    html = {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding, lambda b: b)(body).decode()
    for address in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        asset_status, asset, asset_headers = client.exchange(address, BROWSER_HEADERS)
        first += header_bytes(asset_status, asset_headers) + len(asset)
    # Again: the page is revalidated (304); the fingerprinted files are kept for a year.
    status, body, again = client.exchange("/", {**BROWSER_HEADERS, "If-None-Match": headers["ETag"]})
    return first, header_bytes(status, again) + len(body)


def worker_rss_kib(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)))
    return sizes


def memory_over_requests(port: int, master: int, password: str, services: list[str], total: int) -> str:
    """Workers' RSS after a warm-up and after ``total`` requests of a mix of pages.

    Mostly the public pages (what a scan rush sends), with signed-in pages among them.
    """
    public = ["/", MENU, *services, "/auth/login"]
    signed_in = ["/me", "/shifts/"]
    staff = [Client(port).login("secretary", password) for _ in range(4)]
    anonymous = [Client(port) for _ in range(8)]

    def round_of(requests_per_public_page: int) -> int:
        for path in public:
            hammer(anonymous, path, requests_per_public_page)
        for path in signed_in:
            hammer(staff, path, len(staff))
        return requests_per_public_page * len(public) + len(staff) * len(signed_in)

    warm_up = round_of(max(8, total // 10 // len(public)))
    after_warm_up = worker_rss_kib(master)
    done = warm_up
    while done < total:
        done += round_of(200)
    after = worker_rss_kib(master)
    growth = max(b - a for a, b in zip(after_warm_up, after, strict=True))
    return (
        f"worker RSS after warm-up ({warm_up} requests) {after_warm_up} KiB;"
        f" after {done} requests {after} KiB;"
        f" largest growth {growth} KiB"
    )


def bench_server(env: dict, workers: int, stations: int, label: str, password: str, services, arguments):
    with (
        gunicorn(env, workers=workers, app="bench.floor:app", probe="/") as (floor_port, _floor),
        gunicorn(env, workers=workers) as (port, master),
    ):
        seconds = arguments.seconds
        floor = measure(floor_port, ["/"], CONNECTIONS, seconds, {}, "floor: Flask answering 'ok'")
        print(f"[{label} {stations:>2} st] {floor.line()}", flush=True)
        for username, path, target in PAGES if arguments.pages else []:
            path = path.format(service=services[0])
            clients = [Client(port) for _ in range(8)]
            if username:
                clients = [client.login(username, password) for client in clients]
            hammer(clients, path, 80)  # warm-up: every worker thread has rendered the page
            cookie = {"Cookie": clients[0].cookie_header()} if username else {}
            result = measure(port, [path], CONNECTIONS, seconds, cookie, f"{username or 'anonymous'} {path}")
            print(f"[{label} {stations:>2} st] {result.line(floor, target)}", flush=True)
            if path == "/me":
                tail = result.p99_ms / result.p50_ms
                verdict = "ok" if tail <= ME_TAIL_TARGET else f"MISSES {ME_TAIL_TARGET}×"
                print(f"[{label} {stations:>2} st]   /me p99 ÷ p50 = {tail:.1f} {verdict}", flush=True)
        floor_after = measure(floor_port, ["/"], CONNECTIONS, seconds, {}, "floor again, after the pages")
        print(f"[{label} {stations:>2} st] {floor_after.line()}", flush=True)

        if arguments.rush:
            rush_paths = ["/", MENU, *services]
            rush = measure(
                port, rush_paths, 200, arguments.rush, {}, f"scan rush: 200 clients, {arguments.rush} s"
            )
            print(f"[{label} {stations:>2} st] {rush.line(floor)} ({rush.requests} requests)", flush=True)

        first, repeat = page_weight(port)
        print(
            f"[{label} {stations:>2} st] first visit to / {first / 1024:.1f} KB"
            f" ({'ok' if first <= FIRST_VISIT_TARGET else 'MISSES 30 KB'}),"
            f" repeat visit {repeat / 1024:.1f} KB"
            f" ({'ok' if repeat <= REPEAT_VISIT_TARGET else 'MISSES 5 KB'})",
            flush=True,
        )
        if arguments.memory:
            line = memory_over_requests(port, master, password, services, arguments.memory)
            print(f"[{label} {stations:>2} st] {line}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stations", type=int, nargs="+", default=[1, 30])
    parser.add_argument("--seconds", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--rush", type=int, default=30, help="seconds of scan rush (0: none)")
    parser.add_argument("--memory", type=int, default=20_000, help="requests for the memory check (0: none)")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--pages", action=argparse.BooleanOptionalAction, default=True, help="each page")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="a PostgreSQL database to DROP and fill (default: $BENCH_POSTGRES_URL; none: SQLite only)",
    )
    arguments = parser.parse_args()
    password = "bench-password-2026"
    log(f"load: {'wrk' if have_wrk() else 'Python threads (apt-get install wrk for better figures)'}")
    log(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M %Z')}")

    backends = []
    if arguments.sqlite:
        backends.append(("sqlite", None))
    if arguments.postgres_url:
        backends.append(("pg", arguments.postgres_url))
    for label, url in backends:
        for stations in arguments.stations:
            with tempfile.TemporaryDirectory() as folder:
                database = url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
                log(f"== {stations} station(s) on {label}")
                services = prepare_database(database, stations, password)
                env = {
                    "DATABASE_URL": database,
                    "SCHEDULER_ENV": "development",
                    "RATELIMIT_STORAGE_URI": "memory://",
                }
                bench_server(env, arguments.workers, stations, label, password, services, arguments)


if __name__ == "__main__":
    main()
