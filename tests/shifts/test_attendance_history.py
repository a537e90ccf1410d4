"""Attendance is history: a recorded place is never removed, only corrected with a reason that is kept."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.models import Assignment, AssignmentState, AttendanceCorrection, Role
from scheduler.shifts import attendance
from scheduler.shifts.attendance import attendance_changed
from tests.forms import answer_yes, form_on, read_forms, submit_form
from tests.shifts.conftest import HTMX, days_from_now, week_of

RECORDED = [AssignmentState.ATTENDED, AssignmentState.NO_SHOW]


def state_of(read, assignment):
    return read(lambda s: s.get(Assignment, assignment.id).state)


@pytest.mark.parametrize("state", RECORDED)
def test_no_post_removes_a_recorded_place(admin_client, make_shift, make_user, place, read, state):
    """Catches: one tap on 移出 deleting an attended place, and with it that person's hours."""
    shift = make_shift(starts_at=days_from_now(-1))
    assignment = place(shift, make_user(display_name="王秀英"), state)
    url = f"/shifts/assignments/{assignment.id}/remove"
    plain = admin_client.post(url, data={"confirmed": "1", "back": "detail"}, follow_redirects=True)
    assert "王秀英 的出勤已登记，不能移出这个班次" in plain.get_data(as_text=True)
    htmx = admin_client.post(url, data={"confirmed": "1"}, headers=HTMX)
    assert htmx.status_code == 409
    assert state_of(read, assignment) == state


def test_the_shift_page_offers_take_off_only_for_places_not_recorded(
    admin_client, make_shift, make_user, place
):
    """Catches: the page offering a button whose post the rule refuses (or the other way round)."""
    shift = make_shift(starts_at=days_from_now(-1))
    came = place(shift, make_user(display_name="王秀英"), AssignmentState.ATTENDED)
    unanswered = place(shift, make_user(display_name="李志强"), AssignmentState.ASSIGNED)
    actions = {
        form.action for form in read_forms(admin_client.get(f"/shifts/{shift.id}").get_data(as_text=True))
    }
    assert f"/shifts/assignments/{came.id}/remove" not in actions
    assert f"/shifts/assignments/{unanswered.id}/remove" in actions


def test_the_week_board_asks_the_same_rule(admin_client, make_shift, make_user, place, monkeypatch):
    """Catches: the board deciding by itself (e.g. only by the shift's start) instead of asking the rule."""
    shift = make_shift(starts_at=days_from_now(3))
    person = place(shift, make_user(display_name="王秀英"))
    board = admin_client.get(week_of(shift.starts_at)).get_data(as_text=True)
    assert f"/shifts/assignments/{person.id}/remove" in board
    monkeypatch.setitem(admin_client.application.jinja_env.tests, "removable", lambda assignment: False)
    board = admin_client.get(week_of(shift.starts_at)).get_data(as_text=True)
    assert f"/shifts/assignments/{person.id}/remove" not in board


def test_a_correction_needs_a_reason_and_is_kept_and_shown(admin_client, make_shift, make_user, place, read):
    """Catches: a recorded attendance silently overwritten, with no trace of who changed it or why."""
    shift = make_shift(starts_at=days_from_now(-1))
    person = make_user(display_name="王秀英")
    assignment = place(shift, person)
    url = f"/shifts/{shift.id}/attendance"
    assert "reason" not in form_on(admin_client, url).names, "a first recording asks no reason"
    assert submit_form(admin_client, url, {"attended": [str(person.id)]}).status_code == 302
    assert state_of(read, assignment) == AssignmentState.ATTENDED

    refused = submit_form(admin_client, url, {"attended": []})
    assert refused.status_code == 409
    assert "请写明更改原因" in refused.get_data(as_text=True)
    assert state_of(read, assignment) == AssignmentState.ATTENDED, "nothing changes without a reason"

    saved = submit_form(admin_client, url, {"attended": [], "reason": "登记错了，她那天请假"})
    assert saved.status_code == 302
    assert state_of(read, assignment) == AssignmentState.NO_SHOW
    correction = read(lambda s: s.scalar(sa.select(AttendanceCorrection)))
    assert (correction.from_state, correction.to_state) == (AssignmentState.ATTENDED, AssignmentState.NO_SHOW)
    assert correction.by_id == admin_client.user.id and correction.reason == "登记错了，她那天请假"
    page = admin_client.get(f"/shifts/{shift.id}").get_data(as_text=True)
    assert "从“已出勤”改为“缺勤”，原因：登记错了，她那天请假" in page
    assert admin_client.user.display_name in page


def test_every_attendance_change_and_only_a_change_is_announced_once(app, make_shift, make_user, place):
    """Catches: hours credited twice for a re-saved form, or not at all for a correction."""
    shift = make_shift(starts_at=days_from_now(-1))
    came, stayed_away = make_user(), make_user()
    place(shift, came)
    place(shift, stayed_away, AssignmentState.ASSIGNED)
    heard = []

    def listen(sender, by, changes):
        heard.append(sorted((c.assignment.user_id, c.from_state, c.to_state) for c in changes))

    with attendance_changed.connected_to(listen), app.test_request_context():
        attendance.set_attendance(shift.id, {came.id}, by=None)
        attendance.set_attendance(shift.id, {came.id}, by=None)  # the same again: no change
        attendance.set_attendance(shift.id, {came.id, stayed_away.id}, by=None, reason="补登")
        attendance.set_attendance(shift.id, set(), by=None, reason="只改她一人", judged_user_ids={came.id})
    assert heard == [
        sorted(
            [
                (came.id, AssignmentState.CONFIRMED, AssignmentState.ATTENDED),
                (stayed_away.id, AssignmentState.ASSIGNED, AssignmentState.NO_SHOW),
            ]
        ),
        [(stayed_away.id, AssignmentState.NO_SHOW, AssignmentState.ATTENDED)],
        [(came.id, AssignmentState.ATTENDED, AssignmentState.NO_SHOW)],
    ]


def test_the_attendance_form_is_not_offered_before_the_start(
    admin_client, make_shift, make_user, place, read
):
    """Catches: a form that opens for a future shift and refuses only after the secretary filled it."""
    shift = make_shift(starts_at=days_from_now(1))
    assignment = place(shift, make_user())
    url = f"/shifts/{shift.id}/attendance"
    page = admin_client.get(url).get_data(as_text=True)
    assert "班次开始后才能登记出勤" in page
    assert not [form for form in read_forms(page) if form.action.endswith(url) or "attended" in form.names]
    assert "登记出勤" not in admin_client.get(f"/shifts/{shift.id}").get_data(as_text=True)
    refused = admin_client.post(url, data={"attended": [str(assignment.user_id)]})
    assert refused.status_code == 409 and "班次开始后才能登记出勤" in refused.get_data(as_text=True)
    assert state_of(read, assignment) == AssignmentState.CONFIRMED


def test_taking_someone_off_asks_first_without_javascript(admin_client, make_shift, make_user, place, read):
    """Catches: a plain-form 移出 that removes at once, with no question asked."""
    shift = make_shift(starts_at=days_from_now(3) + timedelta(hours=1))
    assignment = place(shift, make_user(display_name="王秀英"))
    asked = submit_form(
        admin_client, f"/shifts/{shift.id}", form=f"/shifts/assignments/{assignment.id}/remove"
    )
    assert "确定把 王秀英 移出“驿站值班”" in asked.get_data(as_text=True)
    assert state_of(read, assignment) == AssignmentState.CONFIRMED, "asking changes nothing"
    done = answer_yes(admin_client, asked)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/shifts/{shift.id}")
    assert read(lambda s: s.get(Assignment, assignment.id)) is None


@pytest.mark.parametrize(
    "page, action",
    [
        ("/shifts/{shift}", "/shifts/assignments/{assignment}/remove"),
        ("{board}", "/shifts/assignments/{assignment}/remove"),
        ("/people/", "/people/{person}/invitation/revoke"),
    ],
)
def test_destructive_forms_carry_the_question_for_javascript(
    admin_client, make_shift, make_user, place, page, action
):
    """Catches: a destructive button that confirm.js cannot ask about (no data-confirm on its form)."""
    shift = make_shift(starts_at=days_from_now(3))
    person = make_user(Role.VOLUNTEER, display_name="王秀英")
    assignment = place(shift, person)
    submit_form(admin_client, f"/people/{person.id}/edit", form=f"/people/{person.id}/invitation")
    names = {
        "shift": shift.id,
        "assignment": assignment.id,
        "person": person.id,
        "board": week_of(shift.starts_at),
    }
    forms = read_forms(admin_client.get(page.format(**names)).get_data(as_text=True))
    [form] = [form for form in forms if form.action.endswith(action.format(**names))]
    assert "王秀英" in form.attrs["data-confirm"]
