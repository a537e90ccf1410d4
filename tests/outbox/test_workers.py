"""Several workers on PostgreSQL: each queued notice is sent exactly once (counted at the peer)."""

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from bench.notices import queue_deliveries
from scheduler.extensions import db
from scheduler.models import Channel, Delivery, DeliveryState, Role
from scheduler.outbox.delivery import deliver_due

NOTICES = 1000


@pytest.mark.postgresql  # SKIP LOCKED is PostgreSQL's
def test_two_workers_send_each_of_a_thousand_notices_exactly_once(
    app, station, make_user, peer, set_channels
):
    set_channels(station, webhook_url=f"{peer.url}/hook", webhook_secret="s")
    volunteer = make_user(Role.VOLUNTEER)
    with app.app_context():
        queue_deliveries(station.id, volunteer.id, NOTICES, Channel.WEBHOOK, event="load", text="通知")
    start = threading.Barrier(2)
    tallies = []

    def worker():
        with app.app_context():
            start.wait()
            tallies.append(deliver_due())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    sent_per_key = Counter(request.json["id"] for request in peer.received)
    assert len(sent_per_key) == NOTICES and set(sent_per_key.values()) == {1}
    assert sum(tally.sent for tally in tallies) == NOTICES
    assert all(tally.sent > 0 for tally in tallies), "both workers took a share"
    with app.app_context():
        states = dict(
            db.session.execute(sa.select(Delivery.state, sa.func.count()).group_by(Delivery.state)).all()
        )
    assert states == {DeliveryState.SENT: NOTICES}
