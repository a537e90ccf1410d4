"""A resident's request and the task made from it: the fixtures of both areas, and helpers."""

from datetime import UTC, datetime

import pytest

from scheduler.extensions import db
from scheduler.models import ServiceRequest, Task, TaskKind, User
from scheduler.requests.services import task_from_request
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
from tests.menu.conftest import make_category, make_request, make_service  # noqa: F401

HTMX = {"HX-Request": "true"}
# 2031-03-04 09:00–11:00 in Asia/Shanghai, as the form's local times below.
WINDOW_START = datetime(2031, 3, 4, 1, 0, tzinfo=UTC)
WINDOW_END = datetime(2031, 3, 4, 3, 0, tzinfo=UTC)


def task_form(**overrides) -> dict:
    """What staff submit to make a task of a request (local times, as the browser sends them)."""
    fields = {
        "kind": TaskKind.MEDICINE.value,
        "starts_at": "2031-03-04T09:00",
        "ends_at": "2031-03-04T11:00",
        "instructions": "降压药，医保卡在家",
        "unit": "2单元",
        "room": "301",
        "assignee_id": "",
    }
    fields.update(overrides)
    return fields


def task_from_request_by(service_request: ServiceRequest, staff: User, **overrides) -> Task:
    """``task_from_request`` as the request's page calls it, in the caller's request context."""
    where = dict(unit="2单元", room="301")
    fields = dict(where, kind=TaskKind.MEDICINE, starts_at=WINDOW_START, ends_at=WINDOW_END)
    fields |= overrides
    request_row = db.session.get(ServiceRequest, service_request.id)
    return task_from_request(request_row, created_by=db.session.get(User, staff.id), **fields)


@pytest.fixture
def make_request_task(app):
    """``make_request_task(service_request, staff, assignee=user)``: made a task through the service."""

    def make(service_request: ServiceRequest, staff: User, assignee: User | None = None) -> Task:
        with app.test_request_context():
            task = task_from_request_by(
                service_request, staff, instructions="降压药", assignee_id=assignee.id if assignee else None
            )
            db.session.refresh(task)
            db.session.expunge(task)
            return task

    return make
