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
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Delivery, DeliveryAttempt, DeliveryState, User
from scheduler.outbox.channels import ADAPTERS, N_, DeliveryError, Outgoing
from scheduler.outbox.queue import channels_of

log = logging.getLogger("scheduler.outbox")

BATCH_SIZE = 200
RECORD_EVERY = 50
# A delivery claimed longer ago than this and still "sending" belonged to a worker that died.
SENDING_LEASE = timedelta(minutes=10)
INTERRUPTED = N_("interrupted while sending: it may or may not have arrived")


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
    columns = [getattr(Delivery, name) for name in Outgoing.__dataclass_fields__ if hasattr(Delivery, name)]
    rows = db.session.execute(
        sa.select(*columns, User.display_name)
        .outerjoin(User, User.id == Delivery.user_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
    ).all()
    stations = {station_id: channels_of(station_id) for station_id in {row.station_id for row in rows}}
    loaded = [
        (
            Outgoing(
                **{column.key: row[index] for index, column in enumerate(columns)}, recipient=row[-1] or ""
            ),
            stations[row.station_id],
        )
        for row in rows
    ]
    db.session.expunge_all()
    db.session.rollback()
    return loaded


@dataclass(frozen=True)
class Outcome:
    item: Outgoing
    ok: bool
    result: str
    permanent: bool = False


def attempt(item: Outgoing, station, config) -> Outcome:
    """One try through the channel's adapter: network only, no database (runs in sender threads)."""
    try:
        return Outcome(item, True, ADAPTERS[item.channel].send(item, station, config))
    except DeliveryError as error:
        return Outcome(item, False, str(error)[:300], error.permanent)


def record(outcomes: list[Outcome], tally: Tally) -> None:
    """What became of a group of tries, in one transaction: sent, queued again later, or failed."""
    if not outcomes:
        return
    now = utcnow()
    max_attempts = current_app.config["NOTICE_MAX_ATTEMPTS"]
    changes, attempts = [], []
    for outcome in outcomes:
        item, tries = outcome.item, outcome.item.attempts + 1
        values = dict(
            id=item.id, attempts=tries, claimed_at=None, sent_at=None, next_attempt_at=now, last_error=""
        )
        if outcome.ok:
            values.update(state=DeliveryState.SENT, sent_at=now)
            tally.sent += 1
        else:
            # Ids and channel only: the error text names no URL or secret, and the log no person.
            log.warning("delivery %s (%s) failed: %s", item.id, item.channel.value, outcome.result)
            tally.errors.append(outcome.result)
            values["last_error"] = outcome.result
            if outcome.permanent or tries >= max_attempts:
                values["state"] = DeliveryState.FAILED
                tally.failed += 1
            else:
                values.update(state=DeliveryState.QUEUED, next_attempt_at=now + backoff(tries))
                tally.retrying += 1
        changes.append(values)
        attempts.append(dict(delivery_id=item.id, at=now, ok=outcome.ok, result=outcome.result))
    sent = [values["id"] for values in changes if values["state"] == DeliveryState.SENT]
    if sent:  # the common case, in one statement
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(sent))
            .values(
                state=DeliveryState.SENT,
                attempts=Delivery.attempts + 1,
                sent_at=now,
                claimed_at=None,
                last_error="",
            )
            .execution_options(synchronize_session=False)
        )
    unsent = [values for values in changes if values["state"] != DeliveryState.SENT]
    if unsent:
        db.session.execute(sa.update(Delivery), unsent)
    db.session.execute(sa.insert(DeliveryAttempt), attempts)
    db.session.commit()


def send_one(item: Outgoing, station, tally: Tally) -> None:
    record([attempt(item, station, current_app.config)], tally)


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
    """Send claimed deliveries from a few threads (the network is the slow part).

    Results are recorded every RECORD_EVERY tries while the threads go on sending. A worker
    killed in between leaves those rows "sending"; they turn "failed" after the lease rather
    than going out a second time. Asked to stop, it sends no more and puts back the rest.
    """
    tally = Tally()
    config = current_app.config
    finished, released, stopped = [], [], False
    with ThreadPoolExecutor(max_workers=config["NOTICE_SEND_THREADS"]) as pool:
        futures = {pool.submit(attempt, item, station, config): item.id for item, station in load(ids)}
        for future in as_completed(futures):
            if not future.cancelled():
                finished.append(future.result())
            if len(finished) >= RECORD_EVERY:
                record(finished, tally)
                finished = []
            if not stopped and stopping():
                stopped = True
                released = [delivery_id for future, delivery_id in futures.items() if future.cancel()]
    record(finished, tally)
    release(released)
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
