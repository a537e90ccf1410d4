"""The rules of a request's life, in one place (scheduler.requests.services)."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import Kind, Notice, RequestState, Role, ServiceRequest
from scheduler.models.requests import REFERENCE_ALPHABET, new_reference
from scheduler.requests import services
from scheduler.requests.services import (
    REFERENCE_ATTEMPTS,
    accept_request,
    decline_request,
    file_request,
    mark_done,
    mark_scheduled,
    may_file_for_residents,
    rate_request,
)
from scheduler.rules import RuleViolation
from tests.menu.conftest import buildings_of, count_rows, load

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


@pytest.fixture
def colliding_references(app, make_service, make_request, monkeypatch):
    """``colliding_references(n)``: the first ``n`` new references are taken; returns the references tried."""

    def collide(times: int) -> list[str]:
        taken = make_request(make_service()).reference
        tried = []

        def next_reference():
            assert len(tried) < REFERENCE_ATTEMPTS, "no more tries than REFERENCE_ATTEMPTS"
            tried.append(taken if len(tried) < times else new_reference())
            return tried[-1]

        monkeypatch.setattr(services, "new_reference", next_reference)
        return tried

    return collide


def filing_with_a_phone(app, station, service):
    building = buildings_of(app, station)[0]
    with app.test_request_context():
        return file_request(
            db.session.get(type(service), service.id),
            resident_name="王阿姨",
            building_id=building.id,
            phone="13812345678",
        ).reference


def test_a_taken_reference_is_replaced_by_a_fresh_one(app, station, make_service, colliding_references):
    tried = colliding_references(REFERENCE_ATTEMPTS - 1)
    assert filing_with_a_phone(app, station, make_service()) == tried[-1] != tried[0]
    assert len(tried) == REFERENCE_ATTEMPTS


def test_filing_gives_up_after_the_last_taken_reference(app, station, make_service, colliding_references):
    tried = colliding_references(REFERENCE_ATTEMPTS)
    with pytest.raises(IntegrityError):
        filing_with_a_phone(app, station, make_service())
    assert len(tried) == REFERENCE_ATTEMPTS
    assert count_rows(app, ServiceRequest) == 1


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
        assert (filed.unit_room, filed.phone, filed.preferred_time, filed.details) == ("", "", "", "")


# The refusals and records in full ------------------------------------------------------------------


def refusal(app, call) -> tuple[str, str | None]:
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        call()
    return refused.value.message, refused.value.field


def test_filing_refusals_name_the_field_and_the_reason(app, station, make_station, make_service):
    service = make_service()
    closed = make_service(requestable=False)
    own_building = buildings_of(app, station)[0]
    other_building = buildings_of(app, make_station())[0]

    def filing(service, building_id, phone="13812345678"):
        return lambda: file_request(
            db.session.get(type(service), service.id),
            resident_name="王阿姨",
            building_id=building_id,
            phone=phone,
        )

    assert refusal(app, filing(closed, own_building.id)) == ("这项服务目前不能申请。", None)
    assert refusal(app, filing(service, other_building.id)) == ("请从列表中选择您住的楼栋。", "building_id")
    assert refusal(app, filing(service, None)) == ("请从列表中选择您住的楼栋。", "building_id")
    assert refusal(app, filing(service, own_building.id, phone="")) == (
        "请填写电话号码，方便驿站给您回电话。",
        "phone",
    )


def test_a_filed_request_keeps_everything_the_resident_wrote(app, station, make_service):
    service = make_service()
    building = buildings_of(app, station)[0]
    with app.test_request_context():
        filed_id = file_request(
            db.session.get(type(service), service.id),
            resident_name="王阿姨",
            building_id=building.id,
            unit_room="2单元301",
            phone="13812345678",
            preferred_time="周六上午",
            details="腿脚不便",
        ).id
    stored = load(app, ServiceRequest, filed_id)
    assert (
        stored.station_id,
        stored.service_id,
        stored.resident_name,
        stored.building_id,
        stored.unit_room,
        stored.phone,
        stored.preferred_time,
        stored.details,
        stored.filed_by_id,
        stored.state,
    ) == (
        station.id,
        service.id,
        "王阿姨",
        building.id,
        "2单元301",
        "13812345678",
        "周六上午",
        "腿脚不便",
        None,
        NEW,
    )


@pytest.mark.parametrize("start, label", [(DONE, "已完成"), (DECLINED, "已婉拒")], ids=["done", "declined"])
def test_a_change_of_a_closed_request_names_its_state(app, make_service, make_request, staff, start, label):
    service_request = make_request(make_service(), state=start)
    message, field = refusal(
        app, lambda: accept_request(db.session.get(ServiceRequest, service_request.id), staff)
    )
    assert (message, field) == (f"这项请求已经是“{label}”状态，页面已显示最新状态。", None)


def test_each_change_records_its_time_and_the_reason_given(app, make_service, make_request, staff):
    accepted, done, declined = (make_request(make_service()) for _ in range(3))
    with time_machine.travel(WHEN, tick=False):
        change(app, accepted.id, "accept", staff)
        change(app, done.id, "done", staff)
        with app.test_request_context():
            decline_request(db.session.get(ServiceRequest, declined.id), "  人手不够 ", staff)
    assert load(app, ServiceRequest, accepted.id).accepted_at == WHEN
    assert load(app, ServiceRequest, done.id).done_at == WHEN
    stored = load(app, ServiceRequest, declined.id)
    assert (stored.declined_at, stored.decline_reason, stored.handled_by_id) == (WHEN, "人手不够", staff.id)


def test_a_declined_request_needs_a_reason_the_resident_reads(app, make_service, make_request, staff):
    service_request = make_request(make_service())
    assert refusal(
        app, lambda: decline_request(db.session.get(ServiceRequest, service_request.id), "  ", staff)
    ) == ("请写明原因，居民会看到。", "reason")


def test_the_filer_hears_each_change_with_the_follow_up_link_but_not_of_their_own(
    app, make_service, make_request, make_user, staff
):
    head = make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD)
    service = make_service(title="代配药")
    service_request = make_request(service, filed_by_id=head.id)
    change(app, service_request.id, "accept", staff)
    with app.app_context():
        notices = db.session.scalars(sa.select(Notice).where(Notice.user_id == head.id)).all()
        assert [(notice.text, notice.link) for notice in notices] == [
            (
                f"您代办的请求 {service_request.reference}（代配药）现在的状态：已受理。",
                f"/r/{service_request.follow_token}",
            )
        ]
    change(app, service_request.id, "done", head)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == head.id)) == 1


def test_a_rating_without_a_comment_keeps_no_comment(app, make_service, make_request):
    done = make_request(make_service(), state=DONE)
    with app.test_request_context():
        rate_request(db.session.get(ServiceRequest, done.id), 4)
    assert load(app, ServiceRequest, done.id).rating_comment == ""


def test_rating_refusals_say_why(app, make_service, make_request):
    not_done = make_request(make_service())
    rated = make_request(make_service(), state=DONE, rating=4)
    done = make_request(make_service(), state=DONE)

    def rate(request, stars):
        return lambda: rate_request(db.session.get(ServiceRequest, request.id), stars)

    assert refusal(app, rate(not_done, 5)) == ("服务完成后才能评价。", None)
    assert refusal(app, rate(rated, 5)) == ("您已经评价过了，谢谢！", None)
    assert refusal(app, rate(done, 6)) == ("请选择 1 到 5 颗星。", "rating")
    with time_machine.travel(WHEN, tick=False), app.test_request_context():
        rate_request(db.session.get(ServiceRequest, done.id), 5, "  很及时 ")
    stored = load(app, ServiceRequest, done.id)
    assert (stored.rating, stored.rating_comment, stored.rated_at) == (5, "很及时", WHEN)


@pytest.mark.parametrize(
    "role, kind, may",
    [
        (Role.ADMIN, None, True),
        (Role.COORDINATOR, None, True),
        (Role.VOLUNTEER, Kind.BUILDING_HEAD, True),
        (Role.VOLUNTEER, Kind.RESIDENT_VOLUNTEER, False),
        (Role.SUPERADMIN, None, False),
    ],
)
def test_who_may_file_for_a_resident(app, make_user, role, kind, may):
    person = make_user(role, kind=kind)
    assert may_file_for_residents(person) is may
