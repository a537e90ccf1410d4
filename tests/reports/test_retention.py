"""Retention (``flask retention``): personal data goes at its age, the reports' figures stay.

Each rule is tested a day either side of its limit, as of a fixed "now".
"""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import (
    AccessKind,
    Beneficiary,
    BeneficiaryAccess,
    RequestState,
    Role,
    ServiceRequest,
    Task,
    TaskEvent,
    VisitRecord,
)
from scheduler.reports.monthly import monthly_report
from scheduler.retention import run_retention
from tests.conftest import persist
from tests.forms import submit_form
from tests.menu.conftest import load
from tests.reports.conftest import MARCH, MARCH_URL, text_of

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)
YEAR = timedelta(days=365)
THREE_YEARS = timedelta(days=1096)


def retain(app, now=NOW, dry_run=False):
    with app.app_context():
        return run_retention(now, dry_run=dry_run)


# Closed requests ------------------------------------------------------------------------


@pytest.fixture
def service(make_service):
    return make_service("送药上门")


def closed_request(make_request, service, state: RequestState, closed_at: datetime, **fields):
    stamp = {"done_at": closed_at} if state == RequestState.DONE else {"declined_at": closed_at}
    return make_request(
        service,
        state=state,
        created_at=closed_at - 2 * DAY,
        preferred_time="周三下午",
        details="腿脚不便，需要送到家",
        rating=5 if state == RequestState.DONE else None,
        rating_comment="小张很耐心" if state == RequestState.DONE else "",
        decline_reason="" if state == RequestState.DONE else "本周人手不够",
        **fields,
        **stamp,
    )


@pytest.mark.parametrize("state", [RequestState.DONE, RequestState.DECLINED])
def test_closed_requests_lose_personal_data_a_year_after_closing(
    app, admin_client, make_request, service, state
):
    older = closed_request(make_request, service, state, NOW - YEAR - DAY)
    younger = closed_request(make_request, service, state, NOW - YEAR + DAY)
    at_the_limit = closed_request(make_request, service, state, NOW - YEAR)

    counts = retain(app)

    assert counts.requests == 1
    erased = load(app, ServiceRequest, older.id)
    assert (erased.resident_name, erased.phone, erased.unit_room) == ("", "", "")
    assert (erased.details, erased.preferred_time, erased.rating_comment, erased.decline_reason) == ("",) * 4
    # What the reports count stays.
    kept_columns = ("service_id", "building_id", "state", "created_at", "done_at", "declined_at", "rating")
    assert all(getattr(erased, column) == getattr(older, column) for column in kept_columns)
    assert erased.reference == older.reference
    for untouched in (younger, at_the_limit):
        again = load(app, ServiceRequest, untouched.id)
        assert again.resident_name == untouched.resident_name and again.phone == untouched.phone
    # Staff still open the request, and the resident's link still shows its progress.
    assert admin_client.get(f"/requests/{older.id}").status_code == 200
    assert admin_client.get(f"/r/{older.follow_token}").status_code == 200


def test_open_requests_are_kept_however_old(app, make_request, service):
    for state in (RequestState.NEW, RequestState.ACCEPTED, RequestState.SCHEDULED):
        make_request(service, state=state, created_at=NOW - 3 * YEAR)
    assert retain(app).requests == 0


def test_request_retention_days_is_configurable(app, make_request, service):
    app.config["REQUEST_RETENTION_DAYS"] = 30
    erased = closed_request(make_request, service, RequestState.DONE, NOW - 31 * DAY)
    kept = closed_request(make_request, service, RequestState.DONE, NOW - 29 * DAY)
    assert retain(app).requests == 1
    assert load(app, ServiceRequest, erased.id).phone == ""
    assert load(app, ServiceRequest, kept.id).phone == kept.phone


# Residents out of care ------------------------------------------------------------------


def personal_resident(make_beneficiary, left_care_at=None, active=False):
    return make_beneficiary(
        name="王秀英",
        phone="13812345678",
        unit="2单元",
        room="502",
        emergency_name="李强",
        emergency_relation="儿子",
        emergency_phone="13987654321",
        birth_year=1941,
        lives_alone=True,
        care_notes="耳背，敲门要大声",
        visit_every_days=14,
        active=active,
        left_care_at=left_care_at,
    )


def test_residents_out_of_care_keep_only_what_the_reports_need(
    app, make_beneficiary, make_done_task, make_user
):
    volunteer = make_user(Role.VOLUNTEER)
    older = personal_resident(make_beneficiary, NOW - YEAR - DAY)
    younger = personal_resident(make_beneficiary, NOW - YEAR + DAY)
    in_care = personal_resident(make_beneficiary, active=True)
    task = make_done_task(volunteer, done_at=NOW - 2 * YEAR, beneficiary=older, flagged=True, handled=True)
    with app.app_context():
        db.session.execute(sa.update(Task).where(Task.id == task.id).values(instructions="带上血压计"))
        db.session.add(TaskEvent(task_id=task.id, to_state=task.state, note="老人说膝盖疼"))
        db.session.execute(sa.update(VisitRecord).values(handling_note="已联系女儿"))
        db.session.commit()

    assert retain(app).residents == 1

    erased = load(app, Beneficiary, older.id)
    assert erased.name == f"#{older.id}"
    personal = (
        "unit",
        "room",
        "phone",
        "emergency_name",
        "emergency_relation",
        "emergency_phone",
        "care_notes",
    )
    assert all(getattr(erased, field) == "" for field in personal)
    assert erased.birth_year is None and erased.lives_alone is False
    assert erased.erased_at == NOW
    # Kept: the row and what counts visits.
    assert (erased.building_id, erased.created_at, erased.visit_every_days, erased.active) == (
        older.building_id,
        older.created_at,
        14,
        False,
    )
    with app.app_context():
        record = db.session.scalar(sa.select(VisitRecord).where(VisitRecord.task_id == task.id))
        assert (record.note, record.handling_note) == ("", "")
        assert (record.minutes, record.flagged, record.health) == (30, True, "follow_up")
        assert db.session.get(Task, task.id).instructions == ""
        assert {event.note for event in db.session.scalars(sa.select(TaskEvent))} == {""}
    for untouched in (younger, in_care):
        assert load(app, Beneficiary, untouched.id).phone == "13812345678"

    assert retain(app).residents == 0, "erased once"


def test_a_resident_taken_out_of_care_is_dated_and_cleared_when_taken_back(
    app, admin_client, make_beneficiary
):
    resident = make_beneficiary(name="赵玉珍")
    url = f"/beneficiaries/{resident.id}/edit"

    assert submit_form(admin_client, url, {"active": False}).status_code == 302
    left = load(app, Beneficiary, resident.id)
    assert left.active is False and left.left_care_at is not None
    assert datetime.now(UTC) - left.left_care_at < timedelta(minutes=1)

    assert submit_form(admin_client, url, {"name": "赵玉珍 "}).status_code == 302
    assert load(app, Beneficiary, resident.id).left_care_at == left.left_care_at, (
        "saving again keeps the date"
    )

    assert submit_form(admin_client, url, {"active": True}).status_code == 302
    assert load(app, Beneficiary, resident.id).left_care_at is None


# The access log -------------------------------------------------------------------------


def test_the_access_log_is_kept_three_years(app, make_beneficiary, make_user):
    resident = make_beneficiary()
    viewer = make_user(Role.ADMIN)

    def logged(at):
        return persist(
            app,
            BeneficiaryAccess(
                station_id=resident.station_id,
                beneficiary_id=resident.id,
                user_id=viewer.id,
                at=at,
                kind=AccessKind.RECORD,
            ),
        )

    older, younger, at_the_limit = (
        logged(NOW - THREE_YEARS - DAY),
        logged(NOW - THREE_YEARS + DAY),
        logged(NOW - THREE_YEARS),
    )

    assert retain(app).access_log == 1

    with app.app_context():
        left = set(db.session.scalars(sa.select(BeneficiaryAccess.id)))
    assert left == {younger.id, at_the_limit.id}
    assert older.id not in left


# Dry run and the command ----------------------------------------------------------------


def test_dry_run_counts_and_changes_nothing(app, runner, make_request, service, make_beneficiary):
    now = datetime.now(UTC)
    request = closed_request(make_request, service, RequestState.DONE, now - YEAR - DAY)
    resident = personal_resident(make_beneficiary, now - YEAR - DAY)

    result = runner.invoke(args=["retention", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "1 requests closed more than 365 days ago would be" in result.output
    assert "1 residents out of care for more than 365 days would be" in result.output
    assert "0 access-log rows older than 1096 days would be deleted" in result.output
    assert "nothing was changed" in result.output
    assert load(app, ServiceRequest, request.id).phone == request.phone
    assert load(app, Beneficiary, resident.id).name == "王秀英"

    result = runner.invoke(args=["retention"])

    assert result.exit_code == 0, result.output
    assert "1 requests closed more than 365 days ago were" in result.output
    assert load(app, ServiceRequest, request.id).phone == ""
    assert load(app, Beneficiary, resident.id).name == f"#{resident.id}"


# The reports do not change --------------------------------------------------------------


def test_reports_give_the_same_figures_after_retention(app, admin_client, march):
    # A resident visited in March has since left care, as has the one the March station had.
    with app.app_context():
        db.session.execute(sa.update(Beneficiary).values(left_care_at=datetime(2025, 4, 2, tzinfo=UTC)))
        visited = db.session.scalar(sa.select(Task.beneficiary_id).order_by(Task.id).limit(1))
        db.session.execute(sa.update(Beneficiary).where(Beneficiary.id == visited).values(active=False))
        db.session.commit()
        before = monthly_report(march.secretary.station_id, MARCH)
    page_before = text_of(admin_client.get(MARCH_URL).get_data(as_text=True))

    counts = retain(app)

    assert counts.requests == 4 and counts.residents == 2, "March's closed requests and residents out of care"
    with app.app_context():
        after = monthly_report(march.secretary.station_id, MARCH)
    assert replace(after, compiled_at=before.compiled_at) == before
    assert without_times(text_of(admin_client.get(MARCH_URL).get_data(as_text=True))) == without_times(
        page_before
    )


def without_times(text: str) -> str:
    """The page says when it was compiled; the figures are what must not move."""
    return re.sub(r"\d{1,2}:\d{2}(:\d{2})?", "", text)
