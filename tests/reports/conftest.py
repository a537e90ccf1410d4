"""Factories for report tests: the shift, visit and request factories of their areas, and
done home services placed at any moment (the task services stamp "now")."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from scheduler.models import Beneficiary, Health, Task, TaskKind, TaskState, User, VisitRecord
from tests.conftest import persist
from tests.factories_visits import make_beneficiary  # noqa: F401
from tests.menu.conftest import make_category, make_request, make_service  # noqa: F401
from tests.shifts.conftest import local, make_shift, place  # noqa: F401

HTMX = {"HX-Request": "true"}
# A past month for reports whose figures must not move with today's date.
MARCH = date(2025, 3, 1)


def in_march(day: int, at: time = time(9, 0)) -> datetime:
    return local(MARCH.replace(day=day), at)


@pytest.fixture
def make_done_task(app, station, make_beneficiary):  # noqa: F811
    """``make_done_task(volunteer, minutes=45, done_at=...)``: a task done, with its visit record."""

    def make(
        assignee: User,
        minutes: int = 30,
        done_at: datetime | None = None,
        kind: TaskKind = TaskKind.VISIT,
        beneficiary: Beneficiary | None = None,
        station=station,
        flagged: bool = False,
        handled: bool = False,
    ) -> Task:
        done_at = done_at or datetime.now(UTC)
        beneficiary = beneficiary or make_beneficiary(station=station)
        task = persist(
            app,
            Task(
                station_id=station.id,
                beneficiary_id=beneficiary.id,
                kind=kind,
                state=TaskState.DONE,
                starts_at=done_at - timedelta(hours=1),
                ends_at=done_at + timedelta(hours=1),
                assignee_id=assignee.id,
            ),
        )
        persist(
            app,
            VisitRecord(
                station_id=station.id,
                task_id=task.id,
                health=Health.FOLLOW_UP if flagged else Health.GOOD,
                note="一切都好" if not flagged else "血压偏高",
                minutes=minutes,
                recorded_at=done_at,
                flagged=flagged,
                handled_at=done_at + timedelta(hours=2) if handled else None,
            ),
        )
        return task

    return make


def text_of(html: str) -> str:
    """The words a person reads, tags and extra spaces removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, heading_id: str) -> str:
    """The text of the section whose heading has the id ``heading_id``."""
    start = html.index(">", html.index(f'id="{heading_id}"')) + 1
    return text_of(html[start : html.index("</section>", start)])
