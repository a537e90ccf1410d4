"""The auto-fill page of a week and of a series-month, and applying what the secretary keeps."""

import re
from datetime import time, timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Availability,
    DateAway,
    DayPart,
    Delivery,
    Role,
    Tag,
    person_tag,
    slot_bit,
)
from tests.conftest import persist
from tests.forms import submit_form
from tests.shifts.conftest import HTMX, this_week

NEXT_WEEK = 1


def week_url(weeks: int = NEXT_WEEK) -> str:
    monday = this_week(0, weeks=weeks)
    return f"/shifts/week/{(monday + timedelta(hours=8)).date().isoformat()}/autofill"


def free_on(app, person, *slots: tuple[int, DayPart], most: int | None = None):
    bits = sum(slot_bit(weekday, part) for weekday, part in slots)
    persist(app, Availability(user_id=person.id, station_id=person.station_id, slots=bits, max_per_week=most))


def lines_of(html: str) -> list[str]:
    return re.findall(r'name="lines" value="([0-9]+-[0-9]+)"', html)


def held(app, shift) -> list[tuple[int, AssignmentState]]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(Assignment.user_id, Assignment.state).where(Assignment.shift_id == shift.id)
            ).all()
        )


def test_proposal_offers_only_people_free_then_and_applies_the_ticked_ones_waiting_for_an_answer(
    app, admin_client, make_user, make_shift
):
    """Catches: availability ignored, an unticked line applied anyway, people placed as confirmed."""
    tuesday = this_week(1, time(9), weeks=NEXT_WEEK)
    shift = make_shift(starts_at=tuesday, hours=2, capacity=2)
    morning_people = [make_user(Role.VOLUNTEER, display_name=name) for name in ("王师傅", "李阿姨", "赵大姐")]
    for person in morning_people:
        free_on(app, person, (1, DayPart.MORNING))
    evening_only = make_user(Role.VOLUNTEER, display_name="只晚上")
    free_on(app, evening_only, (1, DayPart.EVENING))

    page = admin_client.get(week_url())
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    offered = lines_of(html)
    assert len(offered) == 2
    assert f"{shift.id}-{evening_only.id}" not in offered
    assert "本月" in html or "this month" in html

    kept = offered[:1]
    response = submit_form(admin_client, week_url(), {"lines": kept})
    assert response.status_code == 302
    assert held(app, shift) == [(int(kept[0].split("-")[1]), AssignmentState.ASSIGNED)]
    with app.app_context():  # told as after a manual assignment
        assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) >= 1


def test_nobody_away_that_day_or_already_at_their_most_shifts_is_proposed(
    app, admin_client, make_user, make_shift, place
):
    """Catches: dates away or most-shifts-per-week left out of what the page reads."""
    wednesday = this_week(2, time(14), weeks=NEXT_WEEK)
    shift = make_shift(starts_at=wednesday, hours=2, capacity=1)
    away = make_user(Role.VOLUNTEER)
    persist(
        app,
        DateAway(
            user_id=away.id,
            station_id=away.station_id,
            first_day=wednesday.date() - timedelta(days=1),
            last_day=wednesday.date() + timedelta(days=1),
            note="住院",
        ),
    )
    busy_week = make_user(Role.VOLUNTEER)
    free_on(app, busy_week, (2, DayPart.AFTERNOON), most=1)
    other = make_shift(starts_at=this_week(4, time(9), weeks=NEXT_WEEK), capacity=1)
    place(other, busy_week)

    html = admin_client.get(week_url()).get_data(as_text=True)
    assert lines_of(html) == []
    assert f"{shift.id}-{away.id}" not in html
    assert "驿站值班" in html  # the empty place is listed with its reason


def test_a_place_kept_for_a_tag_stays_empty_and_says_why(app, admin_client, make_user, make_shift, station):
    """Catches: a tagged place given to someone without the tag; an empty place without a reason."""
    tag = persist(app, Tag(station_id=station.id, name="党员"))
    saturday = this_week(5, time(14), weeks=NEXT_WEEK)
    shift = make_shift(starts_at=saturday, hours=2, capacity=1, needs_tag_id=tag.id, needs_tag_count=1)
    for _ in range(2):
        free_on(app, make_user(Role.VOLUNTEER), (5, DayPart.AFTERNOON))

    html = admin_client.get(week_url()).get_data(as_text=True)
    assert lines_of(html) == []
    assert "党员" in html and shift.title in html

    member = make_user(Role.VOLUNTEER)
    free_on(app, member, (5, DayPart.AFTERNOON))
    with app.app_context():
        db.session.execute(sa.insert(person_tag).values(user_id=member.id, tag_id=tag.id))
        db.session.commit()
    assert lines_of(admin_client.get(week_url()).get_data(as_text=True)) == [f"{shift.id}-{member.id}"]


def test_a_line_that_became_impossible_is_skipped_and_reported(
    app, admin_client, make_user, make_shift, place
):
    """Catches: applying over capacity when a volunteer took the place after the preview."""
    shift = make_shift(starts_at=this_week(3, time(9), weeks=NEXT_WEEK), hours=2, capacity=1)
    proposed, quicker = make_user(Role.VOLUNTEER), make_user(Role.VOLUNTEER)
    free_on(app, proposed, (3, DayPart.MORNING))
    page = admin_client.get(week_url())
    assert lines_of(page.get_data(as_text=True)) == [f"{shift.id}-{proposed.id}"]
    place(shift, quicker)
    response = admin_client.post(
        week_url(),
        data={"lines": [f"{shift.id}-{proposed.id}"], "csrf_token": csrf_of(page.get_data(as_text=True))},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert held(app, shift) == [(quicker.id, AssignmentState.CONFIRMED)]
    assert "full" in response.get_data(as_text=True) or "已满" in response.get_data(as_text=True)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_htmx_gets_the_panel_for_the_board(app, admin_client, make_shift):
    """Catches: the board's auto-fill button swapping a whole page into the panel."""
    make_shift(starts_at=this_week(1, time(9), weeks=NEXT_WEEK))
    response = admin_client.get(week_url(), headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="autofill-panel"')


def test_shifts_within_the_cut_off_are_never_proposed(app, admin_client, make_user, make_shift):
    """Catches: auto-fill putting people on a shift about to start (WITHDRAW_CUTOFF_HOURS)."""
    near = make_shift(starts_at=utcnow() + timedelta(hours=2))
    make_user(Role.VOLUNTEER)
    html = admin_client.get(
        f"/shifts/week/{(near.starts_at + timedelta(hours=8)).date().isoformat()}/autofill"
    ).get_data(as_text=True)
    assert not any(line.startswith(f"{near.id}-") for line in lines_of(html))


def test_a_series_carries_its_tag_need_to_every_shift_and_its_month_can_be_filled(
    app, admin_client, make_user, station
):
    """Catches: a series' "at least N with tag" lost on the shifts it generates; the month page broken."""
    tag = persist(app, Tag(station_id=station.id, name="党员"))
    first = this_week(0, time(9), weeks=NEXT_WEEK)
    with app.app_context():
        monday = (first + timedelta(hours=8)).date()
    response = submit_form(
        admin_client,
        "/shifts/series/new",
        {
            "title": "先锋驿站值班",
            "weekdays": ["1", "3"],
            "first_day": monday.isoformat(),
            "last_day": (monday + timedelta(days=13)).isoformat(),
            "extra_start": "",
            "extra_end": "",
            "needs_tag_id": str(tag.id),
            "needs_tag_count": "1",
            "capacity": "2",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        from scheduler.models import Shift, ShiftSeries

        series = db.session.scalar(sa.select(ShiftSeries))
        needs = set(db.session.execute(sa.select(Shift.needs_tag_id, Shift.needs_tag_count)).all())
    assert (series.needs_tag_id, series.needs_tag_count) == (tag.id, 1)
    assert needs == {(tag.id, 1)}
    make_user(Role.VOLUNTEER)
    page = admin_client.get(f"/shifts/series/{series.id}/autofill?month={monday:%Y-%m}")
    assert page.status_code == 200
    assert "党员" in page.get_data(as_text=True)  # nobody has the tag: the places say why
