"""Races over real HTTP: many people at the same instant, one place. Exactly one wins.

A threaded server on the test's file database (SQLite) or on PostgreSQL
(TEST_DATABASE_URL); every request has its own connection and database session.
"""

import sqlalchemy as sa

from scheduler.models import PLACE_HOLDING_STATES, Assignment, AssignmentState, Notice, WaitlistEntry
from tests.live_server import HttpSession, all_at_once, serve
from tests.shifts.conftest import HTMX, days_from_now

RACERS = 20


def signed_in(base_url, users):
    return [HttpSession(base_url).login(user.username) for user in users]


def assert_clean_refusals(answers, winners_expected: int, refusal: str):
    statuses = [answer.status for answer in answers]
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert statuses.count(200) == winners_expected, statuses
    assert statuses.count(409) == len(answers) - winners_expected, statuses
    for answer in answers:
        assert "database is locked" not in answer.body
        if answer.status == 409:
            assert refusal in answer.body


def holders(read, shift):
    return read(
        lambda s: list(
            s.scalars(
                sa.select(Assignment.user_id).where(
                    Assignment.shift_id == shift.id, Assignment.state.in_(PLACE_HOLDING_STATES)
                )
            )
        )
    )


def test_many_sign_ups_for_the_last_place_one_wins(app, make_shift, make_user, place, read):
    shift = make_shift(capacity=3, starts_at=days_from_now(2))
    place(shift, make_user())
    place(shift, make_user(), AssignmentState.ASSIGNED)
    racers = [make_user() for _ in range(RACERS)]
    with serve(app) as base_url:
        sessions = signed_in(base_url, racers)
        answers = all_at_once(
            [lambda s=session: s.post(f"/shifts/{shift.id}/signup", headers=HTMX) for session in sessions]
        )
    assert_clean_refusals(answers, 1, "这个班次已满")
    assert len(holders(read, shift)) == 3


def test_many_freed_places_promote_the_last_waiting_person_once(
    app, make_shift, make_user, place, wait, read
):
    capacity = 20
    shift = make_shift(capacity=capacity, starts_at=days_from_now(3))
    leaving = [make_user() for _ in range(capacity)]
    assignments = [place(shift, person) for person in leaving]
    waiting = make_user()
    wait(shift, waiting)
    with serve(app) as base_url:
        sessions = signed_in(base_url, leaving)
        answers = all_at_once(
            [
                lambda s=session, a=assignment: s.post(f"/shifts/assignments/{a.id}/withdraw", headers=HTMX)
                for session, assignment in zip(sessions, assignments, strict=True)
            ]
        )
    assert [answer.status for answer in answers] == [200] * capacity
    assert holders(read, shift) == [waiting.id], "promoted exactly once, nobody else"
    assert read(lambda s: s.scalar(sa.select(sa.func.count(WaitlistEntry.id)))) == 0
    told = read(lambda s: s.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == waiting.id)))
    assert told == 1


def test_many_takers_of_one_offered_place_one_wins(app, make_shift, make_user, place, read):
    from scheduler.database import utcnow

    shift = make_shift(starts_at=days_from_now(2))
    offerer = make_user()
    offered = place(shift, offerer, swap_offered_at=utcnow())
    takers = [make_user() for _ in range(RACERS)]
    with serve(app) as base_url:
        sessions = signed_in(base_url, takers)
        answers = all_at_once(
            [
                lambda s=session: s.post(f"/shifts/assignments/{offered.id}/take", headers=HTMX)
                for session in sessions
            ]
        )
    assert_clean_refusals(answers, 1, "已被别人接替")
    winner = takers[[answer.status for answer in answers].index(200)]
    assert holders(read, shift) == [winner.id]
    told = read(lambda s: s.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == offerer.id)))
    assert told == 1


def test_one_person_signing_up_for_two_overlapping_shifts_at_once_gets_one(app, make_shift, make_user, read):
    volunteer = make_user()
    shifts = [make_shift(title=f"同时的班{index}", starts_at=days_from_now(2)) for index in range(RACERS)]
    with serve(app) as base_url:
        # One phone, many taps: every request still opens its own connection.
        session = HttpSession(base_url).login(volunteer.username)
        answers = all_at_once(
            [lambda shift=shift: session.post(f"/shifts/{shift.id}/signup", headers=HTMX) for shift in shifts]
        )
    assert_clean_refusals(answers, 1, "时间冲突")
    placed = read(
        lambda s: s.scalar(sa.select(sa.func.count(Assignment.id)).where(Assignment.user_id == volunteer.id))
    )
    assert placed == 1
