from datetime import timedelta

import pytest

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import CreditEntry, EntryKind
from tests.conftest import persist
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
from tests.shifts.conftest import in_app, make_shift, place, read  # noqa: F401


@pytest.fixture
def credit(app, station):
    """``credit(user, hundredths)``: an entry written straight into the ledger (a test's start)."""

    def add(user, hundredths: int, kind: EntryKind = EntryKind.EARN, note: str = "", **fields) -> CreditEntry:
        return persist(
            app,
            CreditEntry(
                station_id=user.station_id,
                user_id=user.id,
                kind=kind,
                hundredths=hundredths,
                note=note,
                **fields,
            ),
        )

    return add


@pytest.fixture
def past_shift(make_shift):  # noqa: F811
    """A 2.5-hour shift that ended an hour ago, ready for attendance."""
    return lambda **fields: make_shift(starts_at=utcnow() - timedelta(hours=3, minutes=30), **fields)


def entries_of(user_id: int) -> list[tuple[EntryKind, int]]:
    return [
        (entry.kind, entry.hundredths)
        for entry in db.session.scalars(
            db.select(CreditEntry).where(CreditEntry.user_id == user_id).order_by(CreditEntry.id)
        )
    ]
