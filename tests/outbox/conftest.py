"""Real peers on loopback for the outbox: an HTTP server playing WeCom, DingTalk and a
webhook, and aiosmtpd playing the mail server. Nothing here is a mock: the adapters
speak HTTP and SMTP to them over sockets, with the same timeouts as in production."""

import json
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from bench.load import free_port
from scheduler.extensions import db
from scheduler.models import NoticeSettings, StationChannels
from scheduler.outbox.delivery import deliver_due
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
from tests.menu.conftest import make_category, make_service  # noqa: F401
from tests.shifts.conftest import make_shift, place  # noqa: F401

ROBOT_OK = b'{"errcode":0,"errmsg":"ok"}'


@dataclass
class Received:
    path: str
    query: dict
    headers: dict
    body: bytes
    answered: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Peer:
    """Answers every POST with the next scripted (status, body, delay), then 200 OK."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    script: deque = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers) -> None:
        """Each answer: a status, or (status, body), or (status, body, delay in seconds)."""
        for answer in answers:
            status, body, delay = (answer, None, 0) if isinstance(answer, int) else (*answer, 0)[:3]
            self.script.append((status, body, delay))

    def next_answer(self):
        with self.lock:
            return self.script.popleft() if self.script else (200, None, 0)

    def delivered(self) -> list[Received]:
        """What the peer took (answered 200): the messages that arrived."""
        return [request for request in self.received if request.answered == 200]


def _handler(peer: Peer):
    class Handler(BaseHTTPRequestHandler):
        wbufsize = -1  # headers and body leave in one segment, as from a real server

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer, delay = peer.next_answer()
            if delay:
                time.sleep(delay)
            url = urllib.parse.urlsplit(self.path)
            with peer.lock:
                peer.received.append(
                    Received(
                        url.path, dict(urllib.parse.parse_qsl(url.query)), dict(self.headers), body, status
                    )
                )
            payload = answer if answer is not None else (ROBOT_OK if status == 200 else b"error")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def peer():
    """An HTTP server on 127.0.0.1 that plays the robots' and webhook's far end."""
    state = Peer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state), bind_and_activate=False)
    server.daemon_threads = True
    server.request_queue_size = 128  # socketserver's 5 drops connections several senders open at once
    server.server_bind()
    server.server_activate()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class MailBox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_peer():
    """aiosmtpd on 127.0.0.1: the mail server (no TLS, no password: a local relay)."""
    mailbox = MailBox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{controller.port}"
    yield mailbox
    controller.stop()


@pytest.fixture
def refused_url() -> str:
    """An address where nothing listens: the connection is refused."""
    return f"http://127.0.0.1:{free_port()}/robot"


@pytest.fixture
def set_channels(app):
    def set_them(station, **values) -> None:
        with app.app_context():
            channels = db.session.get(StationChannels, station.id) or StationChannels(station_id=station.id)
            for name in (
                "wecom_webhook",
                "dingtalk_webhook",
                "dingtalk_secret",
                "webhook_url",
                "webhook_secret",
            ):
                setattr(channels, name, values.get(name, getattr(channels, name, None) or ""))
            db.session.add(channels)
            db.session.commit()

    return set_them


@pytest.fixture
def choose(app):
    """``choose(user, by_wecom=True, consent=True, ...)``: a person's notice settings."""

    def set_choice(user, consent: bool = False, **values) -> None:
        from datetime import time

        from scheduler.database import utcnow

        with app.app_context():
            settings = db.session.get(NoticeSettings, user.id) or NoticeSettings(user_id=user.id)
            defaults = dict(by_email=False, by_wecom=False, by_dingtalk=False, by_webhook=False, email="")
            defaults.update(quiet_start=time(0, 0), quiet_end=time(0, 0))  # no quiet hours unless asked
            for name, value in {**defaults, **values}.items():
                setattr(settings, name, value)
            settings.mention_consent_at = utcnow() if consent else None
            db.session.add(settings)
            db.session.commit()

    return set_choice


@pytest.fixture
def send(app):
    """Run the delivery as the worker does, in its own app context; returns the tally."""

    def run():
        with app.app_context():
            return deliver_due()

    return run


@pytest.fixture
def tell(app):
    """``tell(user, message)``: notify as an event would, committed, in a request context."""
    from scheduler.models import User
    from scheduler.notices import notify
    from scheduler.outbox.messages import Message

    def run(user, message=None, text: str = "在应用里看的全文", link: str = "/me"):
        with app.test_request_context():
            notify(
                db.session.get(User, user.id), text, link, message or Message("test.event", "给群里的短句")
            )
            db.session.commit()

    return run


@pytest.fixture
def deliveries(app):
    """All deliveries (detached), oldest first, optionally of one channel."""
    import sqlalchemy as sa

    from scheduler.models import Delivery

    def read(channel=None):
        with app.app_context():
            query = sa.select(Delivery).order_by(Delivery.id)
            if channel is not None:
                query = query.where(Delivery.channel == channel)
            rows = list(db.session.scalars(query))
            for row in rows:
                row.attempt_log  # noqa: B018  (loaded before detaching)
            db.session.expunge_all()
            return rows

    return read
