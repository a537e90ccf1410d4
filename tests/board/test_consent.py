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
from tests.conftest import form_error
from tests.forms import submit_form

PHONES = re.compile(r"1[3-9]\d{9}")
NOT_YOURS = "只有本人或支部书记可以更改。"
LISTING_BY_SELF = "在驿站公示栏及其打印张贴版上公示我的姓名、身份（党员、楼栋长等）和所在楼栋。"


def phone_by_self(phone: str) -> str:
    return f"在我的姓名旁同时公示我的电话 {phone}。"


def records_of(app, user) -> list[tuple]:
    with app.app_context():
        return [
            (record.subject, record.given, record.phone, record.recorded_by_id, record.recorded_by_name)
            for record in db.session.scalars(
                sa.select(ConsentRecord).where(ConsentRecord.user_id == user.id).order_by(ConsentRecord.id)
            )
        ]


def refusal(app, person: User, by: User) -> RuleViolation:
    """What ``set_board_consent`` answers when ``by`` tries to list ``person``."""
    with app.app_context():
        with pytest.raises(RuleViolation) as refused:
            set_board_consent(
                db.session.get(User, person.id), by=db.session.get(User, by.id), listed=True, show_phone=False
            )
        assert db.session.get(BoardListing, person.id) is None
    return refused.value


def recorded_wordings(client, url: str) -> list[str]:
    """The sentences on the page's record of consent, newest first."""
    html = client.get(url).get_data(as_text=True)
    history = html[html.index('id="consent-history-title"') :]
    return re.findall(r'<p class="hint">“(.*?)”</p>', history)


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
    assert records_of(app, head) == [
        (ConsentSubject.LISTING, True, "", head.id, "张桂兰"),
        (ConsentSubject.PHONE, True, "13912345678", head.id, "张桂兰"),
    ], "no phone withdrawal recorded when none was shown"


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
    assert records_of(app, head)[-2:] == [
        (ConsentSubject.PHONE, False, "13912345678", head.id, "张桂兰"),
        (ConsentSubject.LISTING, False, "", head.id, "张桂兰"),
    ], "the withdrawal names the number that was shown"


def test_phone_without_listing_is_refused_with_a_message_and_nothing_saved(app, head, head_client):
    """Catches a phone consent stored on its own (a number on the board without a name, or later with one)."""
    response = submit_form(head_client, "/me/board", {"listed": False, "show_phone": True})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert form_error(html, "show_phone") == "电话只显示在已公示的姓名旁：请两项都勾选，或都不勾选。"
    assert records_of(app, head) == []


@pytest.mark.parametrize("url", ["/me", "/me/board"])
def test_a_person_without_a_phone_is_not_offered_to_show_one(app, auth, make_user, url):
    """Catches the box shown to someone with no number: ticking it could only earn an error."""
    person = make_user(display_name="赵建国", phone="")
    person_client = auth.login(user=person)
    assert 'name="show_phone"' not in person_client.get(url).get_data(as_text=True)
    response = submit_form(person_client, url, {"listed": True})
    assert response.status_code == 302
    assert [subject for subject, *_ in records_of(app, person)] == [ConsentSubject.LISTING]


def test_a_phone_is_refused_when_the_account_has_none(app, auth, make_user):
    """The rule stands behind the page: a request that asks anyway (a page from before the number
    was removed) is refused with the reason beside the box, and nothing is saved."""
    person = make_user(display_name="赵建国", phone="")
    response = auth.login(user=person).post("/me/board", data={"listed": "y", "show_phone": "y"})
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "show_phone") == "账号上没有可公示的电话号码。"
    assert records_of(app, person) == []


def test_saving_unticked_boxes_when_never_listed_records_nothing(app, head, head_client):
    """Catches a withdrawal attempted (and failing) when there is no listing to withdraw."""
    response = submit_form(head_client, "/me/board", {}, follow_redirects=True)
    assert response.status_code == 200
    assert "已保存，公示栏已更新。" not in response.get_data(as_text=True)
    assert records_of(app, head) == []


def test_each_consent_is_recorded_in_the_very_words_agreed_to(head, head_client, listed):
    """Catches a phone consent recorded in the listing's words (or without its number), and back."""
    listed(head, phone=True)
    submit_form(head_client, "/me/board", {"listed": False, "show_phone": False})
    phone = phone_by_self("13912345678")
    assert recorded_wordings(head_client, "/me/board") == [LISTING_BY_SELF, phone, phone, LISTING_BY_SELF]


def test_one_change_is_recorded_at_the_instant_the_listing_starts(app, head, head_client):
    """Catches a record or listing stamped at a later moment than the change it belongs to.

    The pages show minutes only, so the stored instants are compared."""
    submit_form(head_client, "/me/board", {"listed": True, "show_phone": True})
    with app.app_context():
        since = db.session.get(BoardListing, head.id).listed_since
        stamps = sa.select(ConsentRecord.recorded_at).where(ConsentRecord.user_id == head.id)
        assert list(db.session.scalars(stamps)) == [since, since]


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
    # The service refuses too, should a route forget to.
    assert refusal(app, head, client.user).message == NOT_YOURS


def test_the_platform_admin_has_no_station_board_to_be_listed_on(app, make_user):
    """/me/board is for station roles only, so the service is called directly."""
    platform_admin = make_user(Role.SUPERADMIN)
    assert refusal(app, platform_admin, platform_admin).message == NOT_YOURS


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


STANDING = re.compile(r'<p id="board-standing" hx-swap-oob="true">(.*?)</p>', re.S)


@pytest.mark.parametrize("url", ["/me", "/me/board"])
def test_an_htmx_save_brings_the_sentence_of_where_one_stands(head_client, url):
    """Catches the sentence above the form left saying "not listed" after the swap listed the person."""
    listing = STANDING.search(
        submit_form(head_client, url, {"listed": True}, htmx=True).get_data(as_text=True)
    )
    assert listing and listing[1].startswith("您自 ") and "起在驿站公示栏公示" in listing[1]
    withdrawal = STANDING.search(
        submit_form(head_client, url, {"listed": False}, htmx=True).get_data(as_text=True)
    )
    assert withdrawal and withdrawal[1].startswith("您未在驿站公示栏公示。")


def test_the_secretarys_htmx_save_brings_the_persons_standing_and_the_new_record(secretary_client, head):
    response = submit_form(secretary_client, f"/people/{head.id}/board", {"listed": True}, htmx=True)
    html = response.get_data(as_text=True)
    standing = STANDING.search(html)
    assert standing and standing[1].startswith("自 ") and standing[1].endswith("起公示。")
    history = re.search(
        r'<section id="consent-history"[^>]*hx-swap-oob="true"[^>]*>(.*?)</section>', html, re.S
    )
    assert history and "同意" in history[1] and "暂无记录" not in history[1]


def test_the_record_of_consent_comes_only_to_the_page_that_shows_it(head_client):
    """/me holds the same form but no record: sending it there would be an element htmx cannot place."""
    from_me = submit_form(head_client, "/me", {"listed": True}, htmx=True).get_data(as_text=True)
    from_its_page = submit_form(head_client, "/me/board", {"listed": False}, htmx=True).get_data(as_text=True)
    assert 'id="consent-history"' not in from_me
    assert 'id="consent-history"' in from_its_page


def test_a_whole_page_has_the_sentence_once_and_not_out_of_band(head_client):
    html = head_client.get("/me/board").get_data(as_text=True)
    assert html.count('id="board-standing"') == 1 and not STANDING.search(html)
