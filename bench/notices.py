"""Throughput of the notice outbox: one worker delivering queued notices to a local peer.

    .venv/bin/python -m bench.notices                 # 10,000 notices, SQLite in a temp folder
    .venv/bin/python -m bench.notices --count 2000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

It builds the schema with the migrations, queues ``--count`` WeCom deliveries, starts an
HTTP server on 127.0.0.1 that answers as the WeCom robot does, and times one
``deliver_due()`` (what ``flask notices send`` and each round of the worker run). It
reports notices per second, the mean time of one POST and its answer, and the time
spent claiming, loading and recording in the database (which overlaps the sends: the
sending threads go on while the main thread records). Target: >= 200 per second with one worker,
most of the time in the network. Bounded: it sends exactly ``--count`` requests.
"""

import argparse
import multiprocessing
import os
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa

ROBOT_OK = b'{"errcode":0,"errmsg":"ok"}'


class Peer(BaseHTTPRequestHandler):
    wbufsize = -1  # headers and body leave in one segment, as from a real server
    counter = None  # a multiprocessing.Value shared with the bench

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Peer.counter.get_lock():
            Peer.counter.value += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ROBOT_OK)))
        self.end_headers()
        self.wfile.write(ROBOT_OK)

    def log_message(self, *args):
        pass


class PeerServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 drops connections a busy worker opens at once


def serve_peer(counter, ready) -> None:
    """The robot's far end: counts every request and answers errcode 0."""
    Peer.counter = counter
    server = PeerServer(("127.0.0.1", 0), Peer)
    ready.put(server.server_address[1])
    server.serve_forever()


class Stopwatch:
    """Adds up the seconds spent in the functions it wraps."""

    def __init__(self):
        self.seconds = 0.0

    def wrap(self, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


class TimedAdapter:
    """A channel adapter whose sends are timed (the network part, summed over threads)."""

    def __init__(self, adapter):
        self.adapter = adapter
        self.watch = Stopwatch()
        self.send = self.watch.wrap(adapter.send)

    @property
    def seconds(self) -> float:
        return self.watch.seconds


def queue_deliveries(
    station_id: int,
    user_id: int,
    count: int,
    channel,
    event: str,
    text: str,
    address: str = "",
    link: str = "",
) -> None:
    """``count`` queued deliveries to one person, in one INSERT: the load of the bench and
    of tests/outbox/test_workers.py. Each has its own key and a numbered text."""
    from scheduler.extensions import db
    from scheduler.models import Delivery, DeliveryState

    db.session.execute(
        sa.insert(Delivery),
        [
            dict(
                station_id=station_id,
                key=f"{event}:{number}:{user_id}:{channel.value}",
                event=event,
                channel=channel,
                user_id=user_id,
                address=address,
                text=f"{text} ({number})",
                link=link,
                urgent=False,
                state=DeliveryState.QUEUED,
                attempts=0,
                last_error="",
            )
            for number in range(count)
        ],
    )
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="notices-bench-")
    url = options.database_url or f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("SCHEDULER_ENV", "development")

    from flask_migrate import upgrade

    from scheduler import create_app
    from scheduler.config import DevelopmentConfig
    from scheduler.extensions import db
    from scheduler.models import Channel, Delivery, DeliveryState, Role, Station, StationChannels, User
    from scheduler.outbox import channels, delivery

    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    # The peer runs in a process of its own, as a real robot's server is elsewhere: in this
    # process its threads would compete with the worker's for the interpreter lock.
    counter = multiprocessing.Value("i", 0)
    ready = multiprocessing.Queue()
    peer = multiprocessing.Process(target=serve_peer, args=(counter, ready), daemon=True)
    peer.start()
    peer_url = f"http://127.0.0.1:{ready.get(timeout=30)}/cgi-bin/webhook/send?key=bench"

    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        station = Station(slug="bench", name="基准驿站")
        db.session.add(station)
        db.session.flush()
        user = User(
            station_id=station.id,
            username="bench",
            display_name="基准",
            role=Role.VOLUNTEER,
            password_hash="x",
        )
        db.session.add_all([user, StationChannels(station_id=station.id, wecom_webhook=peer_url)])
        db.session.flush()
        queue_deliveries(
            station.id,
            user.id,
            options.count,
            Channel.WECOM,
            event="bench",
            address="13900000000",
            text="5号楼 探访任务待认领",
            link="http://127.0.0.1/me",
        )

        timed = TimedAdapter(channels.ADAPTERS[Channel.WECOM])
        channels.ADAPTERS[Channel.WECOM] = timed
        delivery.ADAPTERS[Channel.WECOM] = timed
        database = Stopwatch()
        for name in ("fail_interrupted", "claim", "load", "record", "release"):
            setattr(delivery, name, database.wrap(getattr(delivery, name)))
        started = time.perf_counter()
        tally = delivery.deliver_due()
        elapsed = time.perf_counter() - started
        sent = db.session.scalar(
            sa.select(sa.func.count()).select_from(Delivery).where(Delivery.state == DeliveryState.SENT)
        )

    received = counter.value
    peer.terminate()
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{backend}: {tally.sent} notices delivered in {elapsed:.1f} s by one worker")
    print(f"  throughput: {tally.sent / elapsed:.0f} notices/s (target >= 200)")
    threads, database_seconds = app.config["NOTICE_SEND_THREADS"], database.seconds
    post_ms = 1000 * timed.seconds / sent
    print(f"  sending threads: {threads}; mean time of one POST and its answer: {post_ms:.1f} ms")
    # Recording runs in the main thread while the sending threads go on: the two overlap.
    print(
        f"  database (claim, load, record; overlaps the sends): {database_seconds:.1f} s of {elapsed:.1f} s"
    )
    print(f"  peer counted {received} requests; {sent} deliveries marked sent")
    if received != options.count or sent != options.count:
        raise SystemExit("some notices were not delivered exactly once")


if __name__ == "__main__":
    main()
