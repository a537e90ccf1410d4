"""Twenty staff redeem from one person's credits at the same instant, over real HTTP: exactly
as many win as the balance covers, and the balance ends at zero, never below.

A threaded server on the test's file database (SQLite, whose BEGIN IMMEDIATE serialises the
writers) or on PostgreSQL (TEST_DATABASE_URL, where ``redeem`` locks the person's row).
"""

import sqlalchemy as sa

from scheduler.models import CreditEntry, EntryKind, Role
from tests.live_server import HttpSession, all_at_once, serve

RACERS = 20
BALANCE_CREDITS = 5


def test_twenty_redemptions_at_once_never_take_the_balance_below_zero(app, make_user, credit, read):
    person = make_user(display_name="老王")
    credit(person, BALANCE_CREDITS * 100)
    staff = [make_user(Role.COORDINATOR) for _ in range(RACERS)]
    with serve(app) as base_url:
        sessions = [HttpSession(base_url).login(user.username) for user in staff]
        answers = all_at_once(
            [
                lambda s=session: s.post(
                    "/timebank/redeem", {"user_id": person.id, "credits": "1", "what_for": "理发"}
                )
                for session in sessions
            ]
        )
    assert not [a for a in answers if isinstance(a, Exception)], answers
    statuses = [answer.status for answer in answers]
    assert statuses.count(302) == BALANCE_CREDITS, statuses
    assert statuses.count(422) == RACERS - BALANCE_CREDITS, statuses
    assert all("database is locked" not in answer.body for answer in answers)
    balance, redemptions = read(
        lambda s: s.execute(
            sa.select(
                sa.func.sum(CreditEntry.hundredths),
                sa.func.count(CreditEntry.id).filter(CreditEntry.kind == EntryKind.REDEEM),
            ).where(CreditEntry.user_id == person.id)
        ).one()
    )
    assert (balance, redemptions) == (0, BALANCE_CREDITS)
