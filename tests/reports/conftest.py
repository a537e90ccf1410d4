"""Factories for report tests: the shift, visit and request factories of their areas, and
done home services placed at any moment (the task services stamp "now")."""

# Fixtures of other areas are imported here; the fixtures below name them as arguments.
# ruff: noqa: F811

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from scheduler.models import (
    AssignmentState,
    Beneficiary,
    Health,
    Kind,
    RequestState,
    Role,
    ShiftKind,
    Task,
    TaskKind,
    TaskState,
    User,
    VisitRecord,
)
from tests.conftest import persist
from tests.factories_visits import make_beneficiary  # noqa: F401
from tests.menu.conftest import make_category, make_request, make_service  # noqa: F401
from tests.shifts.conftest import local, make_shift, place  # noqa: F401

HTMX = {"HX-Request": "true"}
# A past month for reports whose figures must not move with today's date.
MARCH = date(2025, 3, 1)
MARCH_URL = "/reports/2025-03"


def in_march(day: int, at: time = time(9, 0)) -> datetime:
    return local(MARCH.replace(day=day), at)


@pytest.fixture
def make_done_task(app, station, make_beneficiary):
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


@dataclass
class March:
    secretary: User
    head: User
    party: User
    resident: User
    property: User


@pytest.fixture
def march(
    station, make_user, make_shift, place, make_done_task, make_beneficiary, make_service, make_request
) -> March:
    """A month of a small station, with the numbers worked out by hand in test_report.py."""
    people = March(
        secretary=make_user(Role.ADMIN, display_name="王书记"),
        head=make_user(display_name="张桂兰", kind=Kind.BUILDING_HEAD),
        party=make_user(display_name="李德明", kind=Kind.PARTY_MEMBER),
        resident=make_user(display_name="王秀英", kind=Kind.RESIDENT_VOLUNTEER),
        property=make_user(display_name="刘强", kind=Kind.PROPERTY_STAFF),
    )
    attended, no_show = AssignmentState.ATTENDED, AssignmentState.NO_SHOW
    # Duty: 3 planned, 5 of 6 places filled, 3 attended, 1 no-show, 1 place never recorded.
    first = make_shift(starts_at=in_march(3), hours=2.5, capacity=2)
    place(first, people.head, attended)
    place(first, people.party, attended)
    second = make_shift(starts_at=in_march(5), hours=2, capacity=2)
    place(second, people.resident, attended)
    place(second, people.property, no_show)
    place(make_shift(starts_at=in_march(12), hours=2, capacity=2), people.property, AssignmentState.CONFIRMED)
    # Activity: 1 planned, 3 of 3 places, all attended.
    paper_cutting = make_shift(
        title="剪纸课", kind=ShiftKind.ACTIVITY, starts_at=in_march(8), hours=1.5, capacity=3
    )
    for person in (people.head, people.resident, people.secretary):
        place(paper_cutting, person, attended)
    # Neither a cancelled shift nor February's count.
    place(make_shift(starts_at=in_march(9), cancelled_at=in_march(1)), people.party, attended)
    place(make_shift(starts_at=local(date(2025, 2, 27), time(9, 0))), people.head, attended)

    registered = local(date(2025, 1, 6), time(9, 0))
    weekly = make_beneficiary(visit_every_days=7, created_at=registered)
    monthly = make_beneficiary(visit_every_days=30, created_at=registered)
    make_beneficiary(visit_every_days=14, created_at=registered)  # due, not visited
    make_beneficiary(visit_every_days=90, created_at=registered)  # in care, not due every month
    # Neither someone registered after March nor someone no longer visited is in March's care.
    make_beneficiary(visit_every_days=7, created_at=local(date(2025, 4, 1), time(9, 0)))
    make_beneficiary(visit_every_days=7, created_at=registered, active=False)
    make_done_task(
        people.head, minutes=60, done_at=in_march(4), beneficiary=weekly, flagged=True, handled=True
    )
    make_done_task(people.head, minutes=30, done_at=in_march(11), beneficiary=weekly, flagged=True)
    make_done_task(people.party, minutes=30, done_at=in_march(6), beneficiary=monthly, kind=TaskKind.MEDICINE)
    make_done_task(people.resident, minutes=20, done_at=in_march(7), kind=TaskKind.REPAIR)
    make_done_task(people.head, minutes=40, done_at=local(date(2025, 2, 20), time(9, 0)), beneficiary=monthly)

    medicine = make_service("送药上门")
    escort = make_service("陪同就医")
    make_service("水电小修")
    done = RequestState.DONE
    make_request(medicine, created_at=in_march(2), state=done, done_at=in_march(3), rating=5)
    make_request(medicine, created_at=in_march(4), state=RequestState.DECLINED, declined_at=in_march(4))
    make_request(medicine, created_at=in_march(20))
    make_request(
        medicine, created_at=local(date(2025, 2, 25), time(9)), state=done, done_at=in_march(1), rating=4
    )
    make_request(escort, created_at=in_march(10), state=done, done_at=in_march(12), rating=3)
    return people


def text_of(html: str) -> str:
    """The words a person reads, tags and extra spaces removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, heading_id: str) -> str:
    """The text of the section whose heading has the id ``heading_id``."""
    start = html.index(">", html.index(f'id="{heading_id}"')) + 1
    return text_of(html[start : html.index("</section>", start)])
