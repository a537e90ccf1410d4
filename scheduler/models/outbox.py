"""The notice outbox: deliveries to the channels outside the app, and who wants which.

A delivery is written in the same transaction as the event that causes it and sent
later by ``flask notices send`` / ``notices worker``, never from inside a request.
Its ``key`` (event, recipient, channel) is unique, so re-runs, retries and a second
worker can never queue or send one message twice.
"""

import enum
from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models.core import StationScoped, User, enum_column


class Channel(enum.StrEnum):
    INAPP = "inapp"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    EMAIL = "email"
    WEBHOOK = "webhook"

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])

    @property
    def is_group(self) -> bool:
        """Posted to a work chat that many people read."""
        return self in (Channel.WECOM, Channel.DINGTALK)


CHANNEL_LABELS = {
    Channel.INAPP: _l("On my page"),
    Channel.WECOM: _l("WeCom group"),
    Channel.DINGTALK: _l("DingTalk group"),
    Channel.EMAIL: _l("E-mail"),
    Channel.WEBHOOK: _l("SMS / webhook"),
}


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(DELIVERY_STATE_LABELS[self])


DELIVERY_STATE_LABELS = {
    DeliveryState.QUEUED: _l("Queued"),
    DeliveryState.SENDING: _l("Sending"),
    DeliveryState.SENT: _l("Sent"),
    DeliveryState.FAILED: _l("Failed"),
}


# What a delivery is about, by the first part of its event's name ("shift.soon": a shift).
EVENT_KIND_LABELS = {
    "shift": _l("Shifts"),
    "task": _l("Home visits"),
    "request": _l("Requests"),
    "visit": _l("Red flags and overdue visits"),
    "report": _l("Reports"),
    "test": _l("Test messages"),
    "notice": _l("Other notices"),
}


class Delivery(StationScoped, db.Model):
    """One message to one person through one channel, and what became of it."""

    __table_args__ = (sa.Index("ix_delivery_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<event>:<reference>:<user id>:<channel>": the same notice is never queued twice.
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # The e-mail address, or the mobile number to @-mention (only with the person's consent).
    address: Mapped[str] = mapped_column(sa.String(120), default="")
    # Never a resident's name, address, phone or care notes: see scheduler/outbox/messages.py.
    text: Mapped[str] = mapped_column(sa.String(300))
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    urgent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[DeliveryState] = mapped_column(enum_column(DeliveryState), default=DeliveryState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")

    user: Mapped[User | None] = relationship()
    attempt_log: Mapped[list["DeliveryAttempt"]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.at", cascade="all, delete-orphan"
    )

    @property
    def error_shown(self) -> str:
        return shown(self.last_error)

    @property
    def kind_label(self) -> str:
        return str(EVENT_KIND_LABELS.get(self.event.partition(".")[0], self.event))


class DeliveryAttempt(db.Model):
    """One try at sending a delivery: when, whether it worked, what the far end said."""

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("delivery.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(default=False)
    result: Mapped[str] = mapped_column(sa.String(300), default="")

    delivery: Mapped[Delivery] = relationship(back_populates="attempt_log")

    @property
    def result_shown(self) -> str:
        return shown(self.result)


def shown(stored: str) -> str:
    """A result stored in English, in the reader's language when it is of a fixed wording
    (marked ``N_`` in scheduler/outbox); "HTTP 500" or a far end's own words stay as they are."""
    return gettext(stored) if stored else stored


DEFAULT_QUIET_START = time(22, 0)
DEFAULT_QUIET_END = time(7, 0)


class NoticeSettings(db.Model):
    """How one person wants to hear of things; in-app notices are always on."""

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(120), default="")
    by_email: Mapped[bool] = mapped_column(default=False)
    by_wecom: Mapped[bool] = mapped_column(default=True)
    by_dingtalk: Mapped[bool] = mapped_column(default=True)
    by_webhook: Mapped[bool] = mapped_column(default=False)
    # When the person agreed that the station's robots @-mention their mobile number.
    mention_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quiet_start: Mapped[time] = mapped_column(sa.Time, default=DEFAULT_QUIET_START)
    quiet_end: Mapped[time] = mapped_column(sa.Time, default=DEFAULT_QUIET_END)

    def wants(self, channel: Channel) -> bool:
        return channel == Channel.INAPP or bool(getattr(self, f"by_{channel.value}"))


class StationChannels(db.Model):
    """The station's robots and webhook: URLs and secrets, never shown again once saved."""

    station_id: Mapped[int] = mapped_column(sa.ForeignKey("station.id", ondelete="CASCADE"), primary_key=True)
    wecom_webhook: Mapped[str] = mapped_column(sa.String(500), default="")
    dingtalk_webhook: Mapped[str] = mapped_column(sa.String(500), default="")
    dingtalk_secret: Mapped[str] = mapped_column(sa.String(200), default="")
    webhook_url: Mapped[str] = mapped_column(sa.String(500), default="")
    webhook_secret: Mapped[str] = mapped_column(sa.String(200), default="")

    def has(self, channel: Channel) -> bool:
        return bool(
            {
                Channel.WECOM: self.wecom_webhook,
                Channel.DINGTALK: self.dingtalk_webhook,
                Channel.WEBHOOK: self.webhook_url,
            }.get(channel)
        )
