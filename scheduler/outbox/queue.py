"""Putting a notice in the outbox: one delivery per channel the person and station have.

Called by ``scheduler.notices.notify`` inside the transaction of the event that causes
the notice; nothing here commits or touches the network.
"""

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Channel,
    Delivery,
    DeliveryState,
    NoticeSettings,
    StationChannels,
    User,
)
from scheduler.outbox.messages import Message

OUTSIDE_CHANNELS = (Channel.WECOM, Channel.DINGTALK, Channel.EMAIL, Channel.WEBHOOK)


def _unsaved(model, **keys):
    """A row that is not saved, holding its columns' defaults (SQLAlchemy sets them on INSERT only)."""
    row = model(**keys)
    for column in model.__table__.columns:
        if getattr(row, column.key) is None and column.default is not None and column.default.is_scalar:
            setattr(row, column.key, column.default.arg)
    return row


def settings_for(user_id: int) -> NoticeSettings:
    """The person's choices; the defaults (not saved) for someone who never chose."""
    return db.session.get(NoticeSettings, user_id) or _unsaved(NoticeSettings, user_id=user_id)


def channels_of(station_id: int) -> StationChannels:
    """The station's robots; none set (not saved) for a station that never set one."""
    return db.session.get(StationChannels, station_id) or _unsaved(StationChannels, station_id=station_id)


def email_configured() -> bool:
    return bool(current_app.config["SMTP_URL"] and current_app.config["MAIL_FROM"])


def available(channel: Channel, station: StationChannels) -> bool:
    """Whether the station can send on this channel at all."""
    if channel == Channel.EMAIL:
        return email_configured()
    return channel == Channel.INAPP or station.has(channel)


def address_for(channel: Channel, user: User, settings: NoticeSettings) -> str | None:
    """Where the message goes for this person; None when it cannot reach them this way."""
    if channel == Channel.EMAIL:
        return settings.email or None
    if channel == Channel.WEBHOOK:
        # Chosen by the person themselves for text messages: their number goes to the gateway.
        return user.phone or None
    # Work-chat groups: @-mention the mobile number only with the person's consent.
    return user.phone if settings.mention_consent_at and user.phone else ""


def after_quiet_hours(now: datetime, start: time, end: time, zone: ZoneInfo) -> datetime:
    """``now``, or the end of the quiet hours that ``now`` falls in (local wall-clock times)."""
    if start == end:
        return now
    local = now.astimezone(zone)
    clock = local.time()
    if start < end:
        quiet, end_day = start <= clock < end, local.date()
    else:  # over midnight, e.g. 22:00–07:00
        quiet = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return now
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def link_to(endpoint: str, **values) -> str:
    """``url_for`` that also works where no request is under way (cron, demo seeding)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, **values)


def absolute_link(link: str) -> str:
    if not link or link.startswith(("http://", "https://")):
        return link
    return current_app.config["BASE_URL"] + link


def delivery_key(message: Message, ref: str, user_id: int, channel: Channel) -> str:
    return f"{message.event}:{ref}:{user_id}:{channel.value}"


def already_told(message: Message, user: User) -> bool:
    if message.ref is None:
        return False
    key = delivery_key(message, str(message.ref), user.id, Channel.INAPP)
    return db.session.scalar(sa.select(Delivery.id).where(Delivery.key == key)) is not None


def queue_deliveries(user: User, message: Message, link: str = "") -> list[Delivery]:
    """The in-app record (sent at once) and one queued delivery per outside channel.

    Returns nothing when this person was already told of this event (a re-run of the
    reminders, say): the unique key is the last word, this check spares the error.
    """
    if user.station_id is None or already_told(message, user):
        return []
    now = utcnow()
    ref = str(message.ref) if message.ref is not None else uuid.uuid4().hex
    settings = settings_for(user.id)
    station = channels_of(user.station_id)
    due = (
        now
        if message.urgent
        else after_quiet_hours(
            now, settings.quiet_start, settings.quiet_end, ZoneInfo(current_app.config["TIMEZONE"])
        )
    )
    common = dict(
        station_id=user.station_id,
        event=message.event,
        user_id=user.id,
        text=message.text[:300],
        link=absolute_link(link)[:300],
        urgent=message.urgent,
        created_at=now,
    )
    deliveries = [
        Delivery(
            key=delivery_key(message, ref, user.id, Channel.INAPP),
            channel=Channel.INAPP,
            state=DeliveryState.SENT,
            attempts=1,
            next_attempt_at=now,
            sent_at=now,
            **common,
        )
    ]
    for channel in OUTSIDE_CHANNELS:
        if not (settings.wants(channel) and available(channel, station)):
            continue
        address = address_for(channel, user, settings)
        if address is None:
            continue
        deliveries.append(
            Delivery(
                key=delivery_key(message, ref, user.id, channel),
                channel=channel,
                address=address,
                state=DeliveryState.QUEUED,
                next_attempt_at=due,
                **common,
            )
        )
    db.session.add_all(deliveries)
    return deliveries
