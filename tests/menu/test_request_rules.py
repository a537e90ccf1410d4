"""The rules of a request's life, in one place (scheduler.requests.services)."""

from datetime import UTC, datetime

import pytest

from scheduler.extensions import db
from scheduler.models import RequestState, Role, ServiceRequest
from scheduler.models.requests import REFERENCE_ALPHABET
from scheduler.requests.services import (
    accept_request,
    decline_request,
    file_request,
    mark_done,
    mark_scheduled,
    rate_request,
)
from scheduler.rules import RuleViolation
from tests.menu.conftest import buildings_of, load

NEW, ACCEPTED, SCHEDULED, DONE, DECLINED = (
    RequestState.NEW,
    RequestState.ACCEPTED,
    RequestState.SCHEDULED,
    RequestState.DONE,
    RequestState.DECLINED,
)
WHEN = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

CHANGES = {
    "accept": lambda request, staff: accept_request(request, staff),
    "schedule": lambda request, staff: mark_scheduled(request, WHEN, staff),
    "done": lambda request, staff: mark_done(request, staff),
    "decline": lambda request, staff: decline_request(request, "人手不够", staff),
}
RESULTS = {"accept": ACCEPTED, "schedule": SCHEDULED, "done": DONE, "decline": DECLINED}
ALLOWED = {
    NEW: {"accept", "schedule", "done", "decline"},
    ACCEPTED: {"schedule", "done", "decline"},
    SCHEDULED: {"schedule", "done", "decline"},
    DONE: set(),
    DECLINED: set(),
}


@pytest.fixture
def staff(make_user):
    return make_user(Role.COORDINATOR)


def change(app, request_id, action, staff):
    with app.test_request_context():
        service_request = db.session.get(ServiceRequest, request_id)
        CHANGES[action](service_request, db.session.get(type(staff), staff.id))


@pytest.mark.parametrize("start", list(ALLOWED))
@pytest.mark.parametrize("action", list(CHANGES))
def test_state_changes_follow_the_rules(app, make_service, make_request, staff, start, action):
    service_request = make_request(make_service(), state=start)
    if action in ALLOWED[start]:
        change(app, service_request.id, action, staff)
        stored = load(app, ServiceRequest, service_request.id)
        assert stored.state == RESULTS[action]
        assert stored.handled_by_id == staff.id
    else:
        with pytest.raises(RuleViolation):
            change(app, service_request.id, action, staff)
        assert load(app, ServiceRequest, service_request.id).state == start


def test_mark_scheduled_records_when_and_accepts(app, make_service, make_request, staff):
    service_request = make_request(make_service())
    change(app, service_request.id, "schedule", staff)
    stored = load(app, ServiceRequest, service_request.id)
    assert stored.scheduled_for == WHEN and stored.accepted_at is not None


def test_mark_scheduled_keeps_the_first_acceptance_time(app, make_service, make_request, staff):
    accepted_at = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    service_request = make_request(make_service(), state=ACCEPTED, accepted_at=accepted_at)
    change(app, service_request.id, "schedule", staff)
    assert load(app, ServiceRequest, service_request.id).accepted_at == accepted_at


def test_mark_scheduled_can_share_the_callers_transaction(app, make_service, make_request, staff):
    """The home-visits area creates a task and schedules the request in one commit."""
    service_request = make_request(make_service())
    with app.test_request_context():
        mark_scheduled(db.session.get(ServiceRequest, service_request.id), WHEN, staff, commit=False)
        db.session.rollback()  # the caller's task failed: nothing of the change stays
    assert load(app, ServiceRequest, service_request.id).state == NEW
    with app.test_request_context():
        mark_scheduled(db.session.get(ServiceRequest, service_request.id), WHEN, staff, commit=False)
        db.session.commit()
    assert load(app, ServiceRequest, service_request.id).state == SCHEDULED


def test_mark_scheduled_needs_an_aware_time(app, make_service, make_request, staff):
    service_request = make_request(make_service())
    with app.test_request_context(), pytest.raises(ValueError):
        mark_scheduled(db.session.get(ServiceRequest, service_request.id), datetime(2026, 12, 1, 10), staff)


def test_decline_needs_a_reason(app, make_service, make_request, staff):
    service_request = make_request(make_service())
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        decline_request(db.session.get(ServiceRequest, service_request.id), "  ", staff)
    assert refused.value.field == "reason"


@pytest.mark.parametrize("state", [NEW, ACCEPTED, SCHEDULED, DECLINED])
def test_only_done_requests_are_rated(app, make_service, make_request, state):
    service_request = make_request(make_service(), state=state)
    with app.test_request_context(), pytest.raises(RuleViolation):
        rate_request(db.session.get(ServiceRequest, service_request.id), 5)


def test_a_rating_is_given_once_and_kept(app, make_service, make_request):
    service_request = make_request(make_service(), state=DONE)
    with app.test_request_context():
        rate_request(db.session.get(ServiceRequest, service_request.id), 3, "还行")
    with app.test_request_context(), pytest.raises(RuleViolation):
        rate_request(db.session.get(ServiceRequest, service_request.id), 5)
    assert load(app, ServiceRequest, service_request.id).rating == 3


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_ratings_are_one_to_five(app, make_service, make_request, rating):
    service_request = make_request(make_service(), state=DONE)
    with app.test_request_context(), pytest.raises(RuleViolation):
        rate_request(db.session.get(ServiceRequest, service_request.id), rating)


def test_filing_gives_a_readable_reference_and_a_secret_token(app, station, make_service):
    service = make_service()
    building = buildings_of(app, station)[0]
    with app.test_request_context():
        references = set()
        for _ in range(20):
            filed = file_request(
                db.session.get(type(service), service.id),
                resident_name="王阿姨",
                building_id=building.id,
                phone="13812345678",
            )
            assert len(filed.reference) == 6 and set(filed.reference) <= set(REFERENCE_ALPHABET)
            assert len(filed.follow_token) >= 32
            references.add(filed.reference)
        assert len(references) == 20


def test_filing_needs_a_phone_unless_filed_for_the_resident(app, station, make_service, make_user):
    service = make_service()
    building = buildings_of(app, station)[0]
    head = make_user(Role.VOLUNTEER)
    with app.test_request_context():
        fresh_service = db.session.get(type(service), service.id)
        with pytest.raises(RuleViolation) as refused:
            file_request(fresh_service, resident_name="王阿姨", building_id=building.id)
        assert refused.value.field == "phone"
        filed = file_request(fresh_service, resident_name="王阿姨", building_id=building.id, filed_by=head)
        assert filed.filed_by_id == head.id
