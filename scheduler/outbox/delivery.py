"""Sending what the outbox holds: claim due deliveries, send each, record the attempt.

A worker claims a batch in one short transaction (``queued`` → ``sending``); on
PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so several workers never claim one row.
(On SQLite every transaction takes the write lock first, so claims are serialised too;
one worker is enough there.) The network calls happen with no transaction open, then
each result is recorded in its own transaction: ``sent``; or back to ``queued`` with
an exponential backoff; or ``failed`` after ``NOTICE_MAX_ATTEMPTS`` or an error that
no retry can mend. A row left in ``sending`` by a worker that died is never sent again
on its own (it may have arrived): it turns ``failed`` and the admin may retry it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Delivery, DeliveryAttempt, DeliveryState
from scheduler.outbox.channels import ADAPTERS, DeliveryError, Outgoing
from scheduler.outbox.queue import channels_of

log = logging.getLogger("scheduler.outbox")

BATCH_SIZE = 100
# A delivery claimed longer ago than this and still "sending" belonged to a worker that died.
SENDING_LEASE = timedelta(minutes=10)
INTERRUPTED = "interrupted while sending: it may or may not have arrived"


@dataclass
class Tally:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … times NOTICE_RETRY_SECONDS after the first, second, third … failure."""
    return timedelta(seconds=current_app.config["NOTICE_RETRY_SECONDS"] * 2 ** (attempts - 1))


def claim(now: datetime, limit: int = BATCH_SIZE) -> list[int]:
    """Take up to ``limit`` due deliveries for this worker, in one short transaction."""
    query = (
        sa.select(Delivery.id)
        .where(Delivery.state == DeliveryState.QUEUED, Delivery.next_attempt_at <= now)
        .order_by(Delivery.urgent.desc(), Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    if ids:
        # Only the rows this update moved are ours (the state guard makes a lost race harmless).
        ids = list(
            db.session.scalars(
                sa.update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.state == DeliveryState.QUEUED)
                .values(state=DeliveryState.SENDING, claimed_at=now)
                .returning(Delivery.id)
            )
        )
    db.session.commit()
    return sorted(ids)


def fail_interrupted(now: datetime) -> int:
    """Deliveries a dead worker left in ``sending``: failed, for a person to decide."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING, Delivery.claimed_at < now - SENDING_LEASE)
        .values(state=DeliveryState.FAILED, last_error=INTERRUPTED, claimed_at=None)
    )
    db.session.commit()
    return result.rowcount


def load(ids: list[int]) -> list[tuple[Outgoing, object]]:
    """Everything the sends need, read now so that no transaction stays open during them."""
    deliveries = db.session.scalars(
        sa.select(Delivery)
        .where(Delivery.id.in_(ids))
        .options(selectinload(Delivery.user))
        .order_by(Delivery.id)
    ).all()
    stations = {station_id: channels_of(station_id) for station_id in {d.station_id for d in deliveries}}
    loaded = [
        (
            Outgoing(
                id=d.id,
                key=d.key,
                event=d.event,
                channel=d.channel,
                address=d.address,
                text=d.text,
                link=d.link,
                urgent=d.urgent,
                station_id=d.station_id,
                recipient=d.user.display_name if d.user else "",
            ),
            stations[d.station_id],
        )
        for d in deliveries
    ]
    db.session.expunge_all()
    db.session.rollback()
    return loaded


def record(item: Outgoing, ok: bool, result: str, permanent: bool, tally: Tally) -> DeliveryState:
    now = utcnow()
    delivery = db.session.get(Delivery, item.id)
    delivery.attempts += 1
    delivery.claimed_at = None
    db.session.add(DeliveryAttempt(delivery_id=delivery.id, at=now, ok=ok, result=result[:300]))
    if ok:
        delivery.state, delivery.sent_at, delivery.last_error = DeliveryState.SENT, now, ""
        tally.sent += 1
    elif permanent or delivery.attempts >= current_app.config["NOTICE_MAX_ATTEMPTS"]:
        delivery.state, delivery.last_error = DeliveryState.FAILED, result[:300]
        tally.failed += 1
    else:
        delivery.state, delivery.last_error = DeliveryState.QUEUED, result[:300]
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        tally.retrying += 1
    state = delivery.state
    db.session.commit()
    return state


def send_one(item: Outgoing, station, tally: Tally) -> DeliveryState:
    try:
        result = ADAPTERS[item.channel].send(item, station, current_app.config)
    except DeliveryError as error:
        # Ids and channel only: the error text names no URL or secret, and the log no person.
        log.warning("delivery %s (%s) failed: %s", item.id, item.channel.value, error)
        tally.errors.append(str(error))
        return record(item, False, str(error), error.permanent, tally)
    return record(item, True, result, False, tally)


def release(ids: list[int]) -> None:
    """Claimed but not tried (the worker is stopping): back to the queue, untouched."""
    if ids:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.state == DeliveryState.SENDING)
            .values(state=DeliveryState.QUEUED, claimed_at=None)
        )
        db.session.commit()


def send_claimed(ids: list[int], stopping: Callable[[], bool] = lambda: False) -> Tally:
    tally = Tally()
    loaded = load(ids)
    for index, (item, station) in enumerate(loaded):
        if stopping():
            release([item.id for item, _station in loaded[index:]])
            break
        send_one(item, station, tally)
    return tally


def deliver_due(stopping: Callable[[], bool] = lambda: False) -> Tally:
    """Send everything due now, batch after batch, until nothing is due or ``stopping()``."""
    tally = Tally()
    fail_interrupted(utcnow())
    while not stopping():
        ids = claim(utcnow())
        if not ids:
            break
        tally.add(send_claimed(ids, stopping))
    return tally
