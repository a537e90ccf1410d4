"""Applying an auto-fill proposal while 20 volunteers sign up for the same places, over real HTTP.

Runs on SQLite (a file database) and on PostgreSQL (TEST_DATABASE_URL), like the other races.
Catches: applying outside the shift's lock (a check-then-write race overbooks a shift).
"""

import re
from datetime import time

import sqlalchemy as sa

from scheduler.models import PLACE_HOLDING_STATES, Assignment, Role
from tests.live_server import HttpSession, all_at_once, serve
from tests.shifts.conftest import HTMX, SHANGHAI, this_week

VOLUNTEERS = 20
SHIFTS = 5
CAPACITY = 3


def test_applying_a_proposal_during_a_rush_of_sign_ups_never_overbooks(
    app, auth, make_shift, make_user, read
):
    shifts = [
        make_shift(title=f"驿站值班{day}", starts_at=this_week(day, time(9), weeks=1), capacity=CAPACITY)
        for day in range(SHIFTS)
    ]
    volunteers = [make_user(Role.VOLUNTEER) for _ in range(VOLUNTEERS)]
    secretary = make_user(Role.ADMIN)
    with serve(app) as base_url:
        staff = HttpSession(base_url).login(secretary.username)
        monday = this_week(0, time(9), weeks=1).astimezone(SHANGHAI).date().isoformat()
        preview = staff.get(f"/shifts/week/{monday}/autofill")
        lines = re.findall(r'name="lines" value="([0-9]+-[0-9]+)"', preview.body)
        assert len(lines) == SHIFTS * CAPACITY
        sessions = [HttpSession(base_url).login(v.username) for v in volunteers]
        answers = all_at_once(
            [lambda: staff.post(f"/shifts/week/{monday}/autofill", {"lines": lines})]
            + [
                lambda s=session, shift=shifts[index % SHIFTS]: s.post(
                    f"/shifts/{shift.id}/signup", headers=HTMX
                )
                for index, session in enumerate(sessions)
            ]
        )
    assert not [answer for answer in answers if isinstance(answer, Exception)], answers
    assert answers[0].status == 302
    # Each sign-up got a place or a clear "full" (which of them depends on who came first).
    assert {answer.status for answer in answers[1:]} <= {200, 409}
    for answer in answers:
        assert "database is locked" not in answer.body
    held = read(
        lambda s: dict(
            s.execute(
                sa.select(Assignment.shift_id, sa.func.count(Assignment.id))
                .where(Assignment.state.in_(PLACE_HOLDING_STATES))
                .group_by(Assignment.shift_id)
            ).all()
        )
    )
    assert held == {shift.id: CAPACITY for shift in shifts}
