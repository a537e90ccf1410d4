"""The board's consent rules: nobody listed without consent, withdrawal removes at once, the
phone only with its own consent (and only the number agreed to), no resident's data, and a
record that proves who agreed to what and when."""

import re

import pytest
import sqlalchemy as sa

from scheduler.board.services import set_board_consent
from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import BoardListing, ConsentRecord, ConsentSubject, Kind, RequestState, Role, User
from scheduler.rules import RuleViolation
from tests.board.conftest import BOARD, board_html
from tests.forms import submit_form

PHONES = re.compile(r"1[3-9]\d{9}")


def records_of(app, user) -> list[tuple]:
    with app.app_context():
        return [
            (record.subject, record.given, record.phone, record.recorded_by_id, record.recorded_by_name)
            for record in db.session.scalars(
                sa.select(ConsentRecord).where(ConsentRecord.user_id == user.id).order_by(ConsentRecord.id)
            )
        ]


def test_nobody_is_on_the_board_without_consent(client, head, party_member, make_user):
    """Catches a board listing a station's people by their kind rather than by their consent."""
    make_user(display_name="王秀英")
    html = board_html(client)
    for name in ("张桂兰", "李德明", "王秀英"):
        assert name not in html
    assert "2号楼" in html and "请到驿站咨询" in html
    assert not PHONES.search(html)


def test_a_person_lists_themselves_on_me_without_their_phone(app, client, head, head_client):
    """Catches the phone going up with the name: it needs its own consent."""
    assert "张桂兰" not in board_html(client)
    response = submit_form(head_client, "/me", {"listed": True})
    assert response.status_code == 302
    html = board_html(client)
    assert "张桂兰" in html, "listed at once, though the board was cached before"
    assert "13912345678" not in html
    assert records_of(app, head) == [(ConsentSubject.LISTING, True, "", head.id, "张桂兰")]


def test_phone_is_shown_only_with_its_own_consent_and_only_the_number_agreed(app, client, head, head_client):
    """Catches a changed number going up under an old consent to show the previous one."""
    submit_form(head_client, "/me/board", {"listed": True, "show_phone": True})
    assert "13912345678" in board_html(client)
    with app.app_context():
        db.session.get(User, head.id).phone = "13700000000"
        db.session.commit()
    html = board_html(client)
    assert "张桂兰" in html
    assert "13700000000" not in html and "13912345678" not in html
    assert records_of(app, head)[-1] == (ConsentSubject.PHONE, True, "13912345678", head.id, "张桂兰")


def test_withdrawal_removes_the_person_from_the_cached_board_at_once(app, client, head, head_client, listed):
    listed(head, phone=True)
    first = client.get(BOARD)
    assert "张桂兰" in first.get_data(as_text=True)
    submit_form(head_client, "/me/board", {"listed": False, "show_phone": False})
    again = client.get(BOARD, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200, "the old copy must not be confirmed"
    html = again.get_data(as_text=True)
    assert "张桂兰" not in html and "13912345678" not in html
    with app.app_context():
        assert db.session.get(BoardListing, head.id) is None
    subjects = [(subject, given) for subject, given, *_ in records_of(app, head)]
    assert subjects[-2:] == [(ConsentSubject.PHONE, False), (ConsentSubject.LISTING, False)]


def test_phone_without_listing_is_refused_with_a_message_and_nothing_saved(app, head, head_client):
    """Catches a phone consent stored on its own (a number on the board without a name, or later with one)."""
    response = submit_form(head_client, "/me/board", {"listed": False, "show_phone": True})
    assert response.status_code == 422
    assert "电话只显示在已公示的姓名旁" in response.get_data(as_text=True)
    assert records_of(app, head) == []


def test_the_secretary_records_consent_for_a_person_with_her_name(
    app, client, head, secretary, secretary_client
):
    """Catches consent recorded as if the person gave it themselves."""
    page = secretary_client.get(f"/people/{head.id}/board").get_data(as_text=True)
    assert "张桂兰同意" in page, "the secretary reads what the person agrees to, in the third person"
    submit_form(secretary_client, f"/people/{head.id}/board", {"listed": True})
    assert "张桂兰" in board_html(client)
    [(subject, given, _, by_id, by_name)] = records_of(app, head)
    assert (subject, given, by_id, by_name) == (ConsentSubject.LISTING, True, secretary.id, "王书记")
    history = secretary_client.get(f"/people/{head.id}/board").get_data(as_text=True)
    assert "由王书记记录" in history and "张桂兰同意" in history


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.VOLUNTEER])
def test_only_the_secretary_sets_anothers_consent(auth, head, role):
    client = auth.login(role)
    assert client.get(f"/people/{head.id}/board").status_code in (403, 404)
    assert client.post(f"/people/{head.id}/board", data={"listed": "y"}).status_code in (400, 403, 404)


def test_a_secretary_of_another_station_cannot_reach_the_person(app, auth, head, make_station, make_user):
    other = make_station(name="隔壁驿站")
    client = auth.login(user=make_user(Role.ADMIN, station=other))
    assert client.get(f"/people/{head.id}/board").status_code == 404
    with app.app_context():
        person, stranger = db.session.get(User, head.id), db.session.get(User, client.user.id)
        with pytest.raises(RuleViolation):
            set_board_consent(person, by=stranger, listed=True, show_phone=False)


def test_a_switched_off_account_leaves_the_board(app, client, head, listed):
    listed(head)
    with app.app_context():
        db.session.get(User, head.id).active = False
        db.session.commit()
    assert "张桂兰" not in board_html(client)


def test_board_places_people_by_kind_and_heads_by_their_building(
    client, head, party_member, make_user, listed
):
    listed(head)
    listed(party_member, phone=True)
    listed(make_user(display_name="王秀英", kind=Kind.RESIDENT_VOLUNTEER))
    html = board_html(client)
    buildings = html[html.index('id="board-buildings-title"') : html.index('id="board-party-title"')]
    assert re.search(r"2号楼</th>\s*<td>.*张桂兰", buildings)
    party = html[html.index('id="board-party-title"') : html.index('id="board-volunteers-title"')]
    assert "李德明" in party and "13800001111" in party and "张桂兰" not in party
    volunteers = html[html.index('id="board-volunteers-title"') : html.index('id="board-roster-title"')]
    assert "王秀英" in volunteers and "居民志愿者" in volunteers


def test_never_a_residents_data(
    client, head, listed, make_beneficiary, make_done_task, make_service, make_request
):
    """Catches a roster or figure that names who was served, or where they live."""
    listed(head)
    resident = make_beneficiary(name="赵奶奶", phone="13611112222", unit="甲单元", room="甲501")
    make_done_task(head, beneficiary=resident)
    make_request(
        make_service("送药上门"),
        resident_name="钱大爷",
        phone="13633334444",
        unit_room="乙单元302",
        state=RequestState.DONE,
        done_at=utcnow(),
        rating=5,
    )
    html = board_html(client)
    assert "张桂兰" in html
    for private in ("赵奶奶", "13611112222", "甲单元", "甲501", "钱大爷", "13633334444", "乙单元302"):
        assert private not in html


def test_with_htmx_the_form_is_saved_in_place_and_says_so(client, head, head_client):
    """Catches an htmx save answered with a redirect to a whole page swapped into the form."""
    response = submit_form(head_client, "/me", {"listed": True}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<form id="board-consent-form"')
    assert re.search(r'<input(?=[^>]*name="listed")(?=[^>]*\bchecked\b)', html), (
        "the box shows the saved choice"
    )
    assert "已保存，公示栏已更新。" in html
    assert "张桂兰" in board_html(client)
