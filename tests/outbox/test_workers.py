"""Several workers on PostgreSQL: each queued notice is sent exactly once (counted at the peer)."""

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Channel, Delivery, DeliveryState, Role
from scheduler.outbox.delivery import deliver_due

NOTICES = 1000


def queue_many(app, station, user, count: int) -> None:
    with app.app_context():
        db.session.execute(
            sa.insert(Delivery),
            [
                dict(
                    station_id=station.id,
                    key=f"load:{number}:{user.id}:webhook",
                    event="load",
                    channel=Channel.WEBHOOK,
                    user_id=user.id,
                    address="",
                    text=f"通知 {number}",
                    link="",
                    urgent=False,
                    state=DeliveryState.QUEUED,
                    attempts=0,
                    last_error="",
                )
                for number in range(count)
            ],
        )
        db.session.commit()


@pytest.mark.postgresql  # SKIP LOCKED is PostgreSQL's
def test_two_workers_send_each_of_a_thousand_notices_exactly_once(
    app, station, make_user, peer, set_channels
):
    set_channels(station, webhook_url=f"{peer.url}/hook", webhook_secret="s")
    queue_many(app, station, make_user(Role.VOLUNTEER), NOTICES)
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
