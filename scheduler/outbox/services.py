"""What people do with notices: choose their channels, set the station's robots, retry, test."""

import logging
from datetime import time

import sqlalchemy as sa
from flask_babel import gettext as _

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Channel, Delivery, DeliveryState, NoticeSettings, StationChannels, User
from scheduler.outbox import messages
from scheduler.outbox.channels import ADAPTERS
from scheduler.outbox.delivery import Tally, load, send_one
from scheduler.outbox.queue import absolute_link, available, channels_of, settings_for
from scheduler.rules import RuleViolation

log = logging.getLogger("scheduler.outbox")

# The station's settings that are secrets: never shown again once saved, never logged.
STATION_FIELDS = ("wecom_webhook", "dingtalk_webhook", "dingtalk_secret", "webhook_url", "webhook_secret")


def save_choices(
    user: User,
    *,
    offered: list[Channel],
    email: str,
    channels: set[Channel],
    mention_consent: bool,
    quiet_start: time,
    quiet_end: time,
) -> NoticeSettings:
    """Only the channels the station ``offered`` change: one it has not set up yet (and the
    e-mail address without SMTP) keeps what was saved, for the day the station sets it up."""
    if Channel.EMAIL in channels and not email:
        raise RuleViolation(_("Enter your e-mail address to get notices by e-mail."), field="email")
    settings = settings_for(user.id)
    db.session.add(settings)
    if Channel.EMAIL in offered:
        settings.email = email
    for channel in offered:
        setattr(settings, f"by_{channel.value}", channel in channels)
    if not mention_consent:
        settings.mention_consent_at = None
    elif settings.mention_consent_at is None:
        settings.mention_consent_at = utcnow()
    settings.quiet_start, settings.quiet_end = quiet_start, quiet_end
    db.session.commit()
    return settings


def save_station_channels(station_id: int, values: dict[str, str], clear: set[str]) -> StationChannels:
    """An empty field keeps what is saved (it is never shown); ``clear`` names fields to empty."""
    channels = channels_of(station_id)
    db.session.add(channels)
    for name in STATION_FIELDS:
        if name in clear:
            setattr(channels, name, "")
        elif values.get(name):
            setattr(channels, name, values[name])
    db.session.commit()
    log.info(
        "station %s: notice channels saved (%s)",
        station_id,
        ", ".join(sorted(n for n in STATION_FIELDS if getattr(channels, n))) or "none",
    )
    return channels


def retry(delivery: Delivery) -> None:
    """A failed delivery goes back to the queue, with a fresh count of attempts."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.state == DeliveryState.FAILED)
        .values(state=DeliveryState.QUEUED, attempts=0, next_attempt_at=utcnow(), last_error="")
    )
    db.session.commit()
    if result.rowcount != 1:
        raise RuleViolation(_("Only a failed delivery can be retried."))


def send_test_message(station, channel: Channel, admin: User) -> Tally:
    """Queue a test message to one of the station's chats and send it now, with the result.

    The one delivery sent while a request waits: the secretary asked for it and is
    watching for the answer; it carries no event, and the timeout bounds the wait.
    It goes through the outbox like any other, so the attempt shows on /notices.
    """
    if channel not in ADAPTERS or channel == Channel.EMAIL:
        raise RuleViolation(_("Choose a chat of the station."), field="channel")
    if not available(channel, channels_of(station.id)):
        raise RuleViolation(_("Save this chat's address first."), field="channel")
    message = messages.test_message(station)
    delivery = Delivery(
        station_id=station.id,
        key=f"test:{station.id}:{channel.value}:{utcnow().timestamp()}:{admin.id}",
        event=message.event,
        channel=channel,
        user_id=admin.id,
        address="",
        text=message.text,
        link=absolute_link("/me"),
    )
    db.session.add(delivery)
    db.session.commit()
    delivery_id = delivery.id
    tally = Tally()
    if _claim_this(delivery_id):
        for item, config in load([delivery_id]):
            send_one(item, config, tally)
    # A test is not retried behind the secretary's back: a failure shows as failed at once.
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == DeliveryState.QUEUED)
        .values(state=DeliveryState.FAILED)
    )
    db.session.commit()
    return tally


def _claim_this(delivery_id: int) -> bool:
    """Claim exactly this delivery (the queue may hold older ones that are due)."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == DeliveryState.QUEUED)
        .values(state=DeliveryState.SENDING, claimed_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1
