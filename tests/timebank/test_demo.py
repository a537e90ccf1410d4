"""The demo shows check-ins (one far from its shift's start) and a time bank history; a second
run adds nothing."""

import sqlalchemy as sa

from scheduler.models import Assignment, CreditEntry, EntryKind


def test_seed_demo_checks_people_in_and_fills_the_time_bank_once(demo, runner, read):

    def snapshot(session):
        checked_in = session.scalar(sa.select(sa.func.count()).where(Assignment.checked_in_at.is_not(None)))
        kinds = dict(
            session.execute(sa.select(CreditEntry.kind, sa.func.count()).group_by(CreditEntry.kind)).all()
        )
        lowest = session.scalar(
            sa.select(
                sa.func.min(
                    sa.select(sa.func.sum(CreditEntry.hundredths))
                    .group_by(CreditEntry.user_id)
                    .subquery()
                    .c[0]
                )
            )
        )
        return checked_in, kinds, session.scalar(sa.select(sa.func.count(CreditEntry.id))), lowest

    checked_in, kinds, entries, lowest = read(snapshot)
    assert checked_in >= 3
    assert kinds[EntryKind.EARN] >= 10 and kinds[EntryKind.REDEEM] >= 1
    assert lowest >= 0, "no demo balance below zero"
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert read(snapshot)[1:3] == (kinds, entries)
