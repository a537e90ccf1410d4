"""Home-visit tasks in the volunteer's calendar feed, without the resident's personal data."""

import icalendar
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import CalendarFeed, Role, TaskState


def feed_of(app, client) -> icalendar.Calendar:
    client.post("/shifts/feed")
    with app.app_context():
        token = db.session.scalar(sa.select(CalendarFeed.token).where(CalendarFeed.user_id == client.user.id))
    response = app.test_client().get(f"/shifts/feed/{token}.ics")
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.data)


def test_feed_lists_my_current_tasks_by_kind_and_building_only(app, auth, make_task, make_beneficiary):
    volunteer = auth.login(Role.VOLUNTEER)
    # A room that no timestamp or id in the feed can contain by chance ("501" could: 23:50:16).
    resident = make_beneficiary(name="邓学文", phone="13700001111", unit="2单元", room="501室")
    accepted = make_task(TaskState.ACCEPTED, volunteer.user, beneficiary=resident)
    make_task(TaskState.DONE, volunteer.user)
    make_task(TaskState.ASSIGNED, auth.make_user(Role.VOLUNTEER))

    calendar = feed_of(app, volunteer)
    events = [event for event in calendar.walk("VEVENT") if str(event["UID"]).startswith("task-")]
    assert [str(event["UID"]).split("@")[0] for event in events] == [f"task-{accepted.id}"]
    event = events[0]
    assert str(event["SUMMARY"]) == "探访 · 1号楼"
    assert str(event["DESCRIPTION"]).endswith(f"/tasks/{accepted.id}")
    text = calendar.to_ical().decode()
    for personal in ("邓学文", "13700001111", "2单元", "501室"):
        assert personal not in text
