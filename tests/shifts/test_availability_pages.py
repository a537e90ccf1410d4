"""Setting availability, dates away and tags: by the person on their phone, and by staff for them."""

from datetime import time, timedelta

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Availability, DateAway, DayPart, Role, person_tag, slot_bit
from scheduler.shifts.weeks import local_today
from tests.conftest import persist
from tests.forms import submit_form
from tests.shifts.conftest import this_week


def saved(app, person) -> Availability | None:
    with app.app_context():
        return db.session.get(Availability, person.id)


def test_a_volunteer_sets_when_they_can_serve_from_me(app, volunteer_client):
    """Catches: ticked boxes stored on the wrong weekday or part of the day; the limit dropped."""
    me = volunteer_client.get("/me").get_data(as_text=True)
    assert "/shifts/availability" in me
    tuesday_morning, saturday_evening = 1 * 3 + DayPart.MORNING, 5 * 3 + DayPart.EVENING
    response = submit_form(
        volunteer_client,
        "/shifts/availability",
        {"slots": [str(tuesday_morning), str(saturday_evening)], "max_per_week": "2"},
    )
    assert response.status_code == 302
    row = saved(app, volunteer_client.user)
    assert row.slots == slot_bit(1, DayPart.MORNING) | slot_bit(5, DayPart.EVENING)
    assert row.max_per_week == 2
    page = volunteer_client.get("/shifts/availability").get_data(as_text=True)
    assert page.count("checked") == 2


def test_a_limit_out_of_range_is_refused_with_a_message_and_nothing_saved(app, volunteer_client):
    """Catches: a negative or huge most-shifts-per-week stored."""
    response = submit_form(volunteer_client, "/shifts/availability", {"max_per_week": "99"})
    assert response.status_code == 422
    assert saved(app, volunteer_client.user) is None


def test_dates_away_are_added_checked_and_removed(app, volunteer_client):
    """Catches: a range ending before it starts accepted; someone else's dates removable."""
    with app.app_context():
        today = local_today()
    bad = submit_form(
        volunteer_client,
        "/shifts/availability",
        {"first_day": (today + timedelta(days=5)).isoformat(), "last_day": today.isoformat()},
        form="/shifts/availability/away",
    )
    assert bad.status_code == 422
    good = submit_form(
        volunteer_client,
        "/shifts/availability",
        {"first_day": today.isoformat(), "last_day": (today + timedelta(days=3)).isoformat(), "note": "住院"},
        form="/shifts/availability/away",
    )
    assert good.status_code == 302
    with app.app_context():
        away = db.session.scalar(sa.select(DateAway))
    assert away.note == "住院" and away.user_id == volunteer_client.user.id
    assert "住院" in volunteer_client.get("/shifts/availability").get_data(as_text=True)


def test_staff_set_availability_and_tags_for_a_person_without_a_smartphone(app, admin_client, make_user):
    """Catches: staff saving onto themselves instead of the person; tags not stored per station."""
    grandpa = make_user(Role.VOLUNTEER, display_name="老张")
    url = f"/shifts/people/{grandpa.id}/availability"
    response = submit_form(admin_client, url, {"slots": [str(0 * 3 + DayPart.AFTERNOON)]})
    assert response.status_code == 302
    assert saved(app, grandpa).slots == slot_bit(0, DayPart.AFTERNOON)
    assert saved(app, admin_client.user) is None
    response = submit_form(admin_client, url, {"tags": "党员 理发"}, form=f"/shifts/people/{grandpa.id}/tags")
    assert response.status_code == 302
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(person_tag).where(person_tag.c.user_id == grandpa.id)
        )
    assert count == 2


def test_a_volunteer_cannot_open_someone_elses_availability(volunteer_client, make_user):
    other = make_user(Role.VOLUNTEER)
    assert volunteer_client.get(f"/shifts/people/{other.id}/availability").status_code in (403, 404)


def test_the_picker_shows_availability_and_never_offers_someone_away(
    app, admin_client, make_user, make_shift
):
    """Catches: the picker offering a person on their dates away, or hiding what they said."""

    shift = make_shift(starts_at=this_week(2, time(9), weeks=1))
    away = make_user(Role.VOLUNTEER, display_name="出门了")
    free = make_user(Role.VOLUNTEER, display_name="上午有空")
    with app.app_context():
        day = (shift.starts_at + timedelta(hours=8)).date()
    persist(app, DateAway(user_id=away.id, station_id=away.station_id, first_day=day, last_day=day))
    persist(
        app, Availability(user_id=free.id, station_id=free.station_id, slots=slot_bit(2, DayPart.MORNING))
    )
    html = admin_client.get(f"/shifts/{shift.id}/picker").get_data(as_text=True)
    assert "出门了" not in html
    assert "上午有空" in html and ("通常这时有空" in html or "usually free then" in html)
