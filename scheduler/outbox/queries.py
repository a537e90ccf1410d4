"""Reading the outbox: the admin's list, the failure count, what a station offers."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from scheduler.extensions import db
from scheduler.models import Channel, Delivery, DeliveryState, Station
from scheduler.outbox.forms import StationChannelsForm, TestMessageForm
from scheduler.outbox.queue import OUTSIDE_CHANNELS, available, channels_of
from scheduler.outbox.services import STATION_FIELDS

LIST_LIMIT = 100


def station_deliveries(
    station_id: int, state: str = "", channel: str = "", event: str = ""
) -> list[Delivery]:
    """The newest deliveries of the station, with their attempts, narrowed by the filters."""
    query = sa.select(Delivery).where(Delivery.station_id == station_id)
    if state in {member.value for member in DeliveryState}:
        query = query.where(Delivery.state == DeliveryState(state))
    if channel in {member.value for member in Channel}:
        query = query.where(Delivery.channel == Channel(channel))
    if event:
        query = query.where(Delivery.event.startswith(event, autoescape=True))
    return list(
        db.session.scalars(
            query.options(selectinload(Delivery.attempt_log), selectinload(Delivery.user))
            .order_by(Delivery.created_at.desc(), Delivery.id.desc())
            .limit(LIST_LIMIT)
        )
    )


def failure_count(station_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Delivery)
        .where(Delivery.station_id == station_id, Delivery.state == DeliveryState.FAILED)
    )


def offered_channels(station_id: int) -> list[Channel]:
    """The channels outside the app that this station can send on."""
    station = channels_of(station_id)
    return [channel for channel in OUTSIDE_CHANNELS if available(channel, station)]


def station_channels_context(station: Station, form: StationChannelsForm | None = None) -> dict:
    """What the robots' card on the station's settings page needs (people.my_station shows it too)."""
    return {
        "channels_form": form or StationChannelsForm(formdata=None),
        "channels_set": station_fields_set(station.id),
        "test_form": TestMessageForm(formdata=None),
    }


def station_fields_set(station_id: int) -> dict[str, bool]:
    """Which robot settings hold a value: all that is ever shown of them."""
    station = channels_of(station_id)
    return {name: bool(getattr(station, name)) for name in STATION_FIELDS}
