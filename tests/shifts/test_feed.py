"""The secret calendar feed: RFC 5545 with the time zone, only the person's own shifts, revocable."""

import re
from datetime import time

import icalendar
import pytest
import sqlalchemy as sa
from flask import Blueprint

from scheduler.calendar_feed import FeedEvent, add_feed_source
from scheduler.models import AssignmentState, CalendarFeed, User
from tests.shifts.conftest import HTMX, SHANGHAI, days_from_now


def feed_path(client) -> str:
    """Make the signed-in person's feed address from /me and return its path."""
    client.post("/shifts/feed")
    html = client.get("/me").get_data(as_text=True)
    match = re.search(r'value="http://station\.test(/shifts/feed/[\w-]+\.ics)"', html)
    assert match, "the address is shown on /me"
    assert f'href="webcal://station.test{match.group(1)}"' in html, "one tap to subscribe"
    return match.group(1)


def test_feed_holds_only_my_shifts_in_shanghai_time(client, volunteer_client, make_shift, make_user, place):
    me = volunteer_client.user
    mine = make_shift(title="驿站值班", location="先锋驿站", starts_at=days_from_now(2, time(9, 0)))
    place(mine, me)
    place(
        make_shift(title="我婉拒的班", starts_at=days_from_now(3)),
        me,
        AssignmentState.DECLINED,
        decline_reason="x",
    )
    place(make_shift(title="别人的班", starts_at=days_from_now(2, time(14, 0))), make_user())
    cancelled = make_shift(title="取消的班", starts_at=days_from_now(4), cancelled_at=days_from_now(-1))
    place(cancelled, me)

    response = client.get(feed_path(volunteer_client))  # a calendar app: no cookies
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"驿站值班", "取消的班"}
    event = events["驿站值班"]
    assert event.decoded("DTSTART").tzinfo.key == "Asia/Shanghai"
    assert event.decoded("DTSTART") == mine.starts_at.astimezone(SHANGHAI)
    assert event.decoded("DTSTART").time() == time(9, 0)
    assert str(event["LOCATION"]) == "先锋驿站"
    assert str(events["取消的班"]["STATUS"]) == "CANCELLED"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]


def test_a_new_address_makes_the_old_one_404(client, volunteer_client, read):
    old = feed_path(volunteer_client)
    assert client.get(old).status_code == 200
    new = feed_path(volunteer_client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert read(lambda s: s.scalar(sa.select(sa.func.count(CalendarFeed.id)))) == 1


def test_unknown_or_switched_off_feeds_are_404(app, client, volunteer_client):
    path = feed_path(volunteer_client)
    assert client.get("/shifts/feed/not-a-token.ics").status_code == 404
    with app.app_context():
        from scheduler.extensions import db

        db.session.get(User, volunteer_client.user.id).active = False
        db.session.commit()
    assert client.get(path).status_code == 404


def test_renewing_the_address_over_htmx_answers_with_the_section(volunteer_client):
    response = volunteer_client.post("/shifts/feed", headers=HTMX)
    assert response.status_code == 200
    assert "订阅到我的日历" in response.get_data(as_text=True)


@pytest.fixture
def own_app(app_factory):
    """An app of this test's own: it registers a blueprint, which the shared app cannot take."""
    return app_factory()


def test_other_areas_can_add_events_to_the_feed(own_app, make_user):
    app = own_app
    tasks = Blueprint("visits_for_test", __name__)
    visit_time = days_from_now(1, time(15, 0))
    add_feed_source(
        tasks,
        lambda user: [
            FeedEvent(
                uid=f"task-1-{user.id}@test",
                summary="探访张奶奶",
                starts_at=visit_time,
                ends_at=visit_time.replace(hour=8),
            )
        ],
    )
    app.register_blueprint(tasks)
    volunteer = make_user()
    with app.test_request_context():
        from scheduler.calendar_feed import build_calendar

        calendar = icalendar.Calendar.from_ical(build_calendar(volunteer, name="我的驿站日程"))
    assert [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")] == ["探访张奶奶"]
