"""The board is served from the cache and changes when, and only when, what it shows does:
each write below must give the page a new ETag (and the new content) in its own transaction."""

from datetime import time

import pytest
import sqlalchemy as sa

from scheduler.board.queries import month_figures
from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    AssignmentState,
    Building,
    Kind,
    Notice,
    RequestState,
    Role,
    ServiceRequest,
    Station,
    User,
)
from scheduler.reports.monthly import monthly_report
from scheduler.reports.months import this_month
from tests.board.conftest import BOARD, building_id
from tests.conftest import persist
from tests.forms import submit_form
from tests.shifts.conftest import this_week


def page(client) -> tuple[str, str]:
    response = client.get(BOARD)
    assert response.status_code == 200
    return response.headers["ETag"], response.get_data(as_text=True)


def change(app, record_class, record_id, **values) -> None:
    with app.app_context():
        record = db.session.get(record_class, record_id)
        for name, value in values.items():
            setattr(record, name, value)
        db.session.commit()


@pytest.fixture
def board_people(head, party_member, listed):
    listed(head)
    listed(party_member)
    return head, party_member


def test_a_cached_board_costs_one_small_query_and_answers_304(
    client, board_people, count_queries, plain_reads
):
    etag, _ = page(client)
    plain_reads.clear()
    with count_queries() as counter:
        again = client.get(BOARD, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert counter.count == 0
    assert len(plain_reads) == 1 and "public_version" in plain_reads[0]


def test_consent_changes_the_board(client, head, listed):
    before, html = page(client)
    listed(head)
    after, html = page(client)
    assert after != before and "张桂兰" in html


def test_a_roster_change_changes_the_board(client, app, board_people, make_shift, place):
    head, _ = board_people
    shift = make_shift(starts_at=this_week(2, time(9, 0)), title="周三上午值班")
    before, html = page(client)
    assert "周三上午值班" in html and "张桂兰" not in html.split("周三上午值班")[1]
    place(shift, head)
    after, html = page(client)
    assert after != before
    assert "张桂兰" in html.split("周三上午值班")[1].split("</dd>")[0]


def test_the_secretary_making_someone_building_head_changes_the_board(
    client, auth, app, station, party_member, listed
):
    listed(party_member)
    secretary = auth.login(Role.ADMIN)
    before, _ = page(client)
    third = building_id(app, station, "3号楼")
    submit_form(
        secretary,
        f"/people/{party_member.id}/edit",
        {"kind": Kind.BUILDING_HEAD.value, "building_id": str(third)},
    )
    after, html = page(client)
    assert after != before
    buildings = html[html.index('id="board-buildings-title"') : html.index('id="board-party-title"')]
    assert "3号楼" in buildings and "李德明" in buildings


@pytest.mark.parametrize("what", ["rename person", "rename building"])
def test_names_on_the_board_change_it(client, app, station, board_people, what):
    head, _ = board_people
    before, _ = page(client)
    if what == "rename person":
        change(app, User, head.id, display_name="张桂芳")
        expected = "张桂芳"
    else:
        change(app, Building, building_id(app, station, "2号楼"), name="二号楼")
        expected = "二号楼"
    after, html = page(client)
    assert after != before and expected in html


def test_a_done_home_service_and_a_done_request_change_the_figures(
    client, app, board_people, make_done_task, make_service, make_request
):
    head, _ = board_people
    before, _ = page(client)
    make_done_task(head, minutes=90, done_at=utcnow())
    after_visit, _ = page(client)
    assert after_visit != before
    request = make_request(make_service("送药上门"))
    after_request, _ = page(client)
    change(app, ServiceRequest, request.id, state=RequestState.DONE, done_at=utcnow(), rating=4)
    after_done, html = page(client)
    assert after_done != after_request
    assert "4.0" in html


def test_an_attended_place_changes_the_hours(client, app, board_people, make_shift, place):
    head, _ = board_people
    # Hours count in the month the shift starts: now is in this month whatever the day.
    assignment = place(make_shift(starts_at=utcnow()), head)
    before, _ = page(client)
    change(app, type(assignment), assignment.id, state=AssignmentState.ATTENDED)
    after, _ = page(client)
    assert after != before


def public_version(app, station) -> int:
    with app.app_context():
        return db.session.get(Station, station.id).public_version


def test_writes_the_board_does_not_show_keep_its_version(
    client, app, auth, station, board_people, make_beneficiary
):
    """Catches every login, notice or resident's record throwing away the cached public pages."""
    head, _ = board_people
    version = public_version(app, station)
    auth.login(user=head)  # stamps last_login_at, creates a session row
    persist(app, Notice(user_id=head.id, text="明天值班"))
    make_beneficiary(name="新登记的老人")
    assert public_version(app, station) == version
    change(app, User, head.id, phone="13900000000")  # a number not agreed to: still a change to what it shows
    assert public_version(app, station) == version + 1


def test_board_figures_are_the_monthly_reports(
    app, station, board_people, make_done_task, make_service, make_request
):
    """Catches a second definition of the figures drifting from the report's."""
    head, party = board_people
    make_done_task(head, minutes=45, done_at=utcnow())
    make_done_task(party, minutes=30, done_at=utcnow())
    make_request(make_service("陪同就医"), state=RequestState.DONE, done_at=utcnow(), rating=3)
    with app.app_context():
        month = this_month()
        figures = month_figures(station.id, month)
        report = monthly_report(station.id, month)
        assert figures.hours == report.hours.total == 1.25
        assert figures.home_services_done == report.task_total.done == 2
        assert figures.requests_done == report.request_total.done == 1
        assert figures.average_rating == report.request_total.average_rating == 3.0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Building)) >= 3
