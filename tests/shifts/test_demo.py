"""The demo station's shifts: alive around today, every state present, the rules kept, idempotent."""

from collections import defaultdict
from itertools import pairwise

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.models import (
    STATION_AREAS,
    Assignment,
    AssignmentState,
    Service,
    Shift,
    ShiftKind,
    ShiftSeries,
    WaitlistEntry,
)


def test_seed_demo_plans_a_living_station_and_can_run_again(demo, runner, read):

    def snapshot(session):
        shifts = list(session.scalars(sa.select(Shift)))
        assignments = list(session.scalars(sa.select(Assignment)))
        waiting = session.scalar(sa.select(sa.func.count(WaitlistEntry.id)))
        return shifts, assignments, waiting

    shifts, assignments, waiting = read(snapshot)
    now = utcnow()
    assert min(s.starts_at for s in shifts) < now and max(s.starts_at for s in shifts) > now
    assert {s.location for s in shifts} >= set(STATION_AREAS)
    assert {"剪纸课", "编织课", "假期少儿科学课"} <= {s.title for s in shifts}
    assert {a.state for a in assignments} == set(AssignmentState)
    assert waiting >= 1
    assert sum(1 for a in assignments if a.swap_offered_at is not None) == 1

    by_shift = {s.id: s for s in shifts}
    places = defaultdict(list)
    for assignment in assignments:
        if assignment.holds_place:
            places[assignment.user_id].append(by_shift[assignment.shift_id])
    for person_shifts in places.values():
        person_shifts.sort(key=lambda s: s.starts_at)
        for earlier, later in pairwise(person_shifts):
            assert earlier.ends_at <= later.starts_at, "nobody is on two overlapping shifts"
    taken = defaultdict(int)
    for assignment in assignments:
        taken[assignment.shift_id] += assignment.holds_place
    assert all(taken[s.id] <= s.capacity for s in shifts)

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    again = read(snapshot)
    assert (len(again[0]), len(again[1]), again[2]) == (len(shifts), len(assignments), waiting)


def test_demo_classes_are_linked_to_their_menu_services_and_residents_see_their_dates(demo, read, app):

    def links(session):
        rows = session.execute(
            sa.select(Shift.title, Shift.kind, Service.title).join(Service, Service.id == Shift.service_id)
        )
        return {(shift, kind, service) for shift, kind, service in rows}

    linked = read(links)
    assert {
        ("剪纸课", ShiftKind.ACTIVITY, "剪纸兴趣班"),
        ("编织课", ShiftKind.ACTIVITY, "编织小组"),
        ("假期少儿科学课", ShiftKind.ACTIVITY, "假期科普课堂"),
        ("健康测量协助", ShiftKind.DUTY, "血压血糖测量"),
    } == linked
    linked_series = read(lambda s: s.scalar(sa.select(sa.func.count(ShiftSeries.service_id))))
    assert linked_series >= 4
    paper_cutting = read(lambda s: s.scalar(sa.select(Service.id).where(Service.title == "剪纸兴趣班")))
    html = app.test_client().get(f"/s/haiyuan-lidu/services/{paper_cutting}").get_data(as_text=True)
    assert "近期活动安排" in html
    assert '周一 14:30–16:00</time> <span class="place">· 时光忆站</span>' in html


def test_auto_fill_on_the_demo_proposes_next_week_within_the_rules(app, demo):
    """Catches: demo people without availability or tags, so auto-fill has nothing sensible to show."""
    import re
    from datetime import timedelta

    from scheduler.demo import DEFAULT_DEMO_PASSWORD
    from scheduler.extensions import db
    from scheduler.models import Tag
    from scheduler.shifts.weeks import local_today, week_start

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Tag.id))) == 3
        next_monday = week_start(local_today()) + timedelta(days=7)
    client = app.test_client()
    client.post("/auth/login", data={"username": "secretary", "password": DEFAULT_DEMO_PASSWORD})
    html = client.get(f"/shifts/week/{next_monday.isoformat()}/autofill").get_data(as_text=True)
    assert len(re.findall(r'name="lines"', html)) >= 5
    assert "本月" in html
