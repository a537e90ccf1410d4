"""QR check-in: scanning the desk's code checks a person on the shift in, then out; every
way a scan can be wrong is refused with a message and changes nothing."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.database import utcnow
from scheduler.models import Assignment, AssignmentState, CheckInScan, Role
from scheduler.shifts import check_in
from tests.conftest import TEST_PASSWORD
from tests.forms import submit_form


@pytest.fixture
def codes(app):
    """``codes.rotating(shift)`` / ``codes.printed(shift)``: the path a phone opens after a scan."""

    class Codes:
        def _path(self, make, shift):
            with app.test_request_context():
                return f"/shifts/check-in/{make(shift)}"

        def rotating(self, shift):
            return self._path(check_in.rotating_code, shift)

        def printed(self, shift):
            return self._path(check_in.printed_code, shift)

    return Codes()


@pytest.fixture
def under_way(make_shift):
    """A shift that started ten minutes ago and runs two more hours."""
    return lambda **fields: make_shift(starts_at=utcnow() - timedelta(minutes=10), **fields)


def times_of(read, assignment):
    return read(
        lambda s: s.execute(
            sa.select(Assignment.checked_in_at, Assignment.checked_out_at).where(
                Assignment.id == assignment.id
            )
        ).one()
    )


def test_first_scan_checks_in_and_the_next_checks_out(volunteer_client, under_way, place, codes, read):
    # Bug caught: a scan that does not record the time, or a second scan that checks in again.
    shift = under_way()
    assignment = place(shift, volunteer_client.user)
    first = volunteer_client.get(codes.rotating(shift))
    assert first.status_code == 200
    assert "签到成功" in first.get_data(as_text=True)
    checked_in, checked_out = times_of(read, assignment)
    assert checked_in is not None and checked_out is None
    second = volunteer_client.get(codes.rotating(shift))
    assert "签退成功" in second.get_data(as_text=True)
    assert times_of(read, assignment)[1] is not None
    assert "no-store" in second.headers["Cache-Control"]


def test_login_next_sends_the_phone_back_to_the_code(client, make_user, under_way, place, codes):
    # Bug caught: an unsafe or dropped ``next`` on the way through the sign-in form.
    shift = under_way()
    person = make_user()
    place(shift, person)
    path = codes.rotating(shift)
    login_url = client.get(path).headers["Location"]
    answer = submit_form(client, login_url, {"username": person.username, "password": TEST_PASSWORD})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(path)


@pytest.mark.parametrize(
    "offset, message",
    [(timedelta(minutes=-31), "30 分钟"), (timedelta(hours=2, minutes=31), "已结束")],
    ids=["before the window", "after the end"],
)
def test_scan_outside_the_window_is_refused(
    volunteer_client, make_shift, place, codes, read, offset, message
):
    # Bug caught: a window check off by its 30 minutes, or none at all for the printed code.
    shift = make_shift(starts_at=utcnow() - offset, hours=2.5)
    assignment = place(shift, volunteer_client.user)
    answer = volunteer_client.get(codes.printed(shift))
    assert answer.status_code == 409
    assert message in answer.get_data(as_text=True)
    assert times_of(read, assignment) == (None, None)


def test_scan_just_inside_the_window_checks_in(volunteer_client, make_shift, place, codes, read):
    # Bug caught: the window opening at the start instead of 30 minutes before it.
    shift = make_shift(starts_at=utcnow() + timedelta(minutes=29))
    assignment = place(shift, volunteer_client.user)
    assert volunteer_client.get(codes.printed(shift)).status_code == 200
    assert times_of(read, assignment)[0] is not None


def test_expired_rotating_code_is_refused(volunteer_client, under_way, place, codes, read):
    # Bug caught: a rotating code with no age limit (a photo of it would work all day).
    shift = under_way()
    assignment = place(shift, volunteer_client.user)
    path = codes.rotating(shift)
    with time_machine.travel(utcnow() + check_in.ROTATING_CODE_LIFE + timedelta(seconds=5)):
        answer = volunteer_client.get(path)
    assert answer.status_code == 409
    assert "已过期" in answer.get_data(as_text=True)
    assert times_of(read, assignment) == (None, None)


def test_printed_code_does_not_expire_within_its_window(volunteer_client, under_way, place, codes, read):
    # Bug caught: the printed code getting the rotating code's two-minute life.
    shift = under_way()
    assignment = place(shift, volunteer_client.user)
    path = codes.printed(shift)
    with time_machine.travel(utcnow() + timedelta(minutes=30)):
        assert volunteer_client.get(path).status_code == 200
    assert times_of(read, assignment)[0] is not None


def test_replayed_rotating_code_is_refused_and_does_not_check_out(
    volunteer_client, under_way, place, codes, read
):
    # Bug caught: the same code (a reload, a forwarded photo) counted as the check-out scan.
    shift = under_way()
    assignment = place(shift, volunteer_client.user)
    path = codes.rotating(shift)
    volunteer_client.get(path)
    again = volunteer_client.get(path)
    assert again.status_code == 409
    assert "已经用过" in again.get_data(as_text=True)
    assert times_of(read, assignment)[1] is None


def test_printed_code_serves_once_in_and_once_out_then_is_a_replay(
    volunteer_client, under_way, place, codes, read
):
    # Bug caught: a printed code usable for endless check-outs (or not for check-out at all).
    shift = under_way()
    assignment = place(shift, volunteer_client.user)
    path = codes.printed(shift)
    assert volunteer_client.get(path).status_code == 200
    assert volunteer_client.get(path).status_code == 200
    out_at = times_of(read, assignment)[1]
    third = volunteer_client.get(path)
    assert third.status_code == 409 and "已经用过" in third.get_data(as_text=True)
    assert times_of(read, assignment)[1] == out_at
    assert read(lambda s: s.scalar(sa.select(sa.func.count(CheckInScan.id)))) == 2


def test_a_rotating_code_is_single_use_per_person_not_per_code(auth, under_way, place, codes, read):
    # Bug caught: the first person's scan using up the code for everyone at the desk.
    shift = under_way(capacity=2)
    first, second = auth.login(), auth.login()
    place(shift, first.user)
    place(shift, second.user)
    path = codes.rotating(shift)
    assert first.get(path).status_code == 200
    assert second.get(path).status_code == 200


def test_someone_not_on_the_shift_is_told_so_and_changes_nothing(volunteer_client, under_way, codes, read):
    # Bug caught: checking in (or silently adding) a person who holds no place.
    shift = under_way()
    answer = volunteer_client.get(codes.rotating(shift))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "您不在这个班次上" in body
    assert "/signup" not in body, "the shift has started: sign-up is closed, so no place is offered"
    assert read(lambda s: s.scalar(sa.select(sa.func.count(Assignment.id)))) == 0


def test_a_declined_person_is_not_on_the_shift(volunteer_client, under_way, place, codes):
    # Bug caught: any assignment row (even a declined one) letting its person check in.
    shift = under_way()
    place(shift, volunteer_client.user, AssignmentState.DECLINED)
    assert volunteer_client.get(codes.rotating(shift)).status_code == 409


def test_someone_not_on_a_shift_about_to_start_is_offered_its_free_place(
    volunteer_client, make_shift, codes, read
):
    # Bug caught: no way on for a volunteer who came to help; or a place given past the sign-up rule.
    shift = make_shift(starts_at=utcnow() + timedelta(minutes=20), capacity=2)
    answer = volunteer_client.get(codes.rotating(shift))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "您不在这个班次上" in html
    action = re.search(r'action="([^"]*/signup)"', html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert volunteer_client.post(action, data={"csrf_token": token}).status_code == 302
    holder = read(lambda s: s.scalar(sa.select(Assignment.user_id).where(Assignment.shift_id == shift.id)))
    assert holder == volunteer_client.user.id
    assert volunteer_client.get(codes.rotating(shift)).status_code == 200


def test_code_of_another_station_is_not_on_the_shift(auth, make_station, make_user, make_shift, codes):
    # Bug caught: a volunteer of one station checking in to another station's shift.
    other = make_station("别的驿站")
    shift = make_shift(station=other, starts_at=utcnow() - timedelta(minutes=5))
    answer = auth.login().get(codes.rotating(shift))
    assert answer.status_code == 409


def test_a_forged_code_is_refused(volunteer_client):
    # Bug caught: trusting an unsigned token's shift id.
    answer = volunteer_client.get("/shifts/check-in/WzEsInByaW50ZWQiXQ.bad.signature")
    assert answer.status_code == 409
    assert "不是本站的签到码" in answer.get_data(as_text=True)


def test_desk_page_shows_a_new_code_each_time_and_htmx_gets_only_the_code(coordinator_client, under_way):
    # Bug caught: a code that never changes (a photo would then work all shift).
    shift = under_way()
    first = coordinator_client.get(f"/shifts/{shift.id}/check-in-code").get_data(as_text=True)
    again = coordinator_client.get(f"/shifts/{shift.id}/check-in-code", headers={"HX-Request": "true"})
    fragment = again.get_data(as_text=True)
    assert "<svg" in first and 'hx-trigger="every 60s"' in first
    assert 'http-equiv="refresh"' in first, "without JavaScript the page reloads for the next code"
    assert "<html" not in fragment and "<svg" in fragment
    svg = re.compile(r"<svg.*?</svg>", re.S)
    assert svg.search(first).group() != svg.search(fragment).group()


def test_printed_code_page_names_its_window(coordinator_client, make_shift):
    # Bug caught: a printed sheet that does not say when it works.
    shift = make_shift()
    page = coordinator_client.get(f"/shifts/{shift.id}/check-in-code/print").get_data(as_text=True)
    assert "<svg" in page and "08:30" in page and "11:30" in page


def test_volunteers_cannot_open_the_desk_code(volunteer_client, under_way):
    # Bug caught: a volunteer showing the code to themselves at home.
    shift = under_way()
    assert volunteer_client.get(f"/shifts/{shift.id}/check-in-code").status_code == 403


def test_staff_see_check_ins_and_far_off_times_on_board_and_shift_page(
    coordinator_client, make_shift, place, make_user
):
    # Bug caught: check-ins recorded but shown nowhere; or the 30-minute note on every check-in.
    shift = make_shift(starts_at=utcnow() - timedelta(hours=3), hours=2)
    on_time, late = make_user(display_name="准时"), make_user(display_name="迟到")
    place(shift, on_time, checked_in_at=shift.starts_at - timedelta(minutes=5))
    place(shift, late, checked_in_at=shift.starts_at + timedelta(minutes=45))
    from tests.shifts.conftest import week_of

    for page in (f"/shifts/{shift.id}", week_of(shift.starts_at)):
        body = coordinator_client.get(page).get_data(as_text=True)
        assert body.count("check-in-badge") == 2
        assert body.count("check-in-note") == 1


def test_attendance_starts_from_the_check_ins(coordinator_client, make_shift, place, make_user, read):
    # Bug caught: attendance still pre-ticking confirmed people who never checked in.
    shift = make_shift(starts_at=utcnow() - timedelta(hours=3), hours=2, capacity=3)
    came = make_user(display_name="来了")
    stayed_home = make_user(display_name="没来")
    place(shift, came, checked_in_at=shift.starts_at)
    place(shift, stayed_home)
    answer = submit_form(coordinator_client, f"/shifts/{shift.id}/attendance", {})
    assert answer.status_code == 302
    states = dict(read(lambda s: s.execute(sa.select(Assignment.user_id, Assignment.state)).all()))
    assert states == {came.id: AssignmentState.ATTENDED, stayed_home.id: AssignmentState.NO_SHOW}


def test_attendance_without_check_ins_ticks_the_confirmed_as_before(
    coordinator_client, make_shift, place, make_user, read
):
    # Bug caught: a station not using check-in suddenly finding everyone unticked.
    shift = make_shift(starts_at=utcnow() - timedelta(hours=3), hours=2)
    person = make_user()
    place(shift, person)
    submit_form(coordinator_client, f"/shifts/{shift.id}/attendance", {})
    assert read(lambda s: s.scalar(sa.select(Assignment.state))) == AssignmentState.ATTENDED


def test_staff_can_check_in_to_their_own_shift(auth, under_way, place, codes):
    # Bug caught: the scan page closed to coordinators, who also stand duty.
    client = auth.login(Role.COORDINATOR)
    shift = under_way()
    place(shift, client.user)
    assert client.get(codes.rotating(shift)).status_code == 200
