"""A person's calendar feed (RFC 5545), built from events that several areas contribute.

Each area adds its events from its ``blueprint.py`` (shifts and home-visit
tasks do)::

    add_feed_source(bp, my_events)   # my_events(user) -> Iterable[FeedEvent]

The feed is served by the shifts area (``/shifts/feed/<token>.ics``); every source's
events appear in it. Its secret token is renewed here, by the volunteer's own button and
whenever the person's sessions all end (a password change, signing out everywhere).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app
from icalendar import Calendar, Event

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import CalendarFeed, new_token


@dataclass(frozen=True)
class FeedEvent:
    uid: str  # stable across feed fetches, e.g. "shift-12@haiyuan-lidu"
    summary: str
    starts_at: datetime  # aware
    ends_at: datetime
    location: str = ""
    description: str = ""
    cancelled: bool = False


FeedSource = Callable[[object], Iterable[FeedEvent]]


def add_feed_source(blueprint: Blueprint, source: FeedSource) -> None:
    blueprint.__dict__.setdefault("feed_sources", []).append(source)


def feed_events(user) -> list[FeedEvent]:
    events = [
        event
        for blueprint in current_app.blueprints.values()
        for source in blueprint.__dict__.get("feed_sources", [])
        for event in source(user)
    ]
    return sorted(events, key=lambda event: event.starts_at)


def build_calendar(user, name: str) -> bytes:
    """The person's events in the community's time zone, with its VTIMEZONE."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    calendar = Calendar.new(name=name, prodid="-//Station Scheduler//Shifts//ZH")
    stamp = utcnow()
    for event in feed_events(user):
        calendar.add_component(
            Event.new(
                uid=event.uid,
                summary=event.summary,
                start=event.starts_at.astimezone(zone),
                end=event.ends_at.astimezone(zone),
                location=event.location or None,
                description=event.description or None,
                status="CANCELLED" if event.cancelled else "CONFIRMED",
                stamp=stamp,
            )
        )
    calendar.add_missing_timezones()
    return calendar.to_ical()


def renew_existing_feed(user) -> None:
    """In the caller's transaction: a feed the person has gets a new token, the old address 404s."""
    db.session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id)
        .values(token=new_token(), created_at=utcnow())
    )


def renew_calendar_feed(user) -> CalendarFeed:
    """Give the person a new secret feed address (making one if none); the old one stops working. Commits."""
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.token = new_token()
    feed.created_at = utcnow()
    db.session.commit()
    return feed
