"""Each rule of who may be on which shift, called the way the routes call it."""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from scheduler.models import Assignment, AssignmentState, Notice, Role, WaitlistEntry
from scheduler.rules import RuleViolation
from scheduler.shifts import attendance, services
from scheduler.shifts.planning import update_shift
from tests.shifts.conftest import days_from_now, details_of

pytestmark = pytest.mark.usefixtures("in_app")


def people_on(read, shift) -> dict[str, AssignmentState]:
    rows = read(
        lambda s: s.execute(
            sa.select(Assignment.user_id, Assignment.state).where(Assignment.shift_id == shift.id)
        ).all()
    )
    return {user_id: state for user_id, state in rows}


def notices_of(read, user) -> list[str]:
    return read(lambda s: list(s.scalars(sa.select(Notice.text).where(Notice.user_id == user.id))))


# Capacity -----------------------------------------------------------------------------


def test_sign_up_takes_a_free_place_confirmed(make_shift, make_user, read):
    shift, volunteer = make_shift(capacity=1), make_user()
    services.sign_up(shift.id, volunteer)
    assert people_on(read, shift) == {volunteer.id: AssignmentState.CONFIRMED}


def test_signup_refuses_when_shift_full(make_shift, make_user, place, read):
    shift = make_shift(capacity=1)
    place(shift, make_user())
    with pytest.raises(RuleViolation, match="已满"):
        services.sign_up(shift.id, make_user())
    assert len(people_on(read, shift)) == 1


def test_staff_cannot_assign_beyond_capacity(make_shift, make_user, place):
    shift = make_shift(capacity=1)
    place(shift, make_user(), AssignmentState.ASSIGNED)
    with pytest.raises(RuleViolation, match="已满"):
        services.assign(shift.id, make_user().id, by=make_user(Role.ADMIN))


def test_declined_people_do_not_hold_a_place(make_shift, make_user, place, read):
    shift = make_shift(capacity=1)
    place(shift, make_user(), AssignmentState.DECLINED, decline_reason="生病")
    newcomer = make_user()
    services.sign_up(shift.id, newcomer)
    assert people_on(read, shift)[newcomer.id] == AssignmentState.CONFIRMED


def test_one_person_once_per_shift(make_shift, make_user, place):
    shift, volunteer = make_shift(capacity=3), make_user(display_name="赵立新")
    place(shift, volunteer)
    with pytest.raises(RuleViolation, match=r"^赵立新 已在这个班次上。$"):
        services.sign_up(shift.id, volunteer)


def test_someone_who_declined_can_be_assigned_again(make_shift, make_user, place, read):
    shift, volunteer = make_shift(), make_user()
    place(shift, volunteer, AssignmentState.DECLINED, decline_reason="外出")
    services.assign(shift.id, volunteer.id, by=make_user(Role.COORDINATOR))
    assert people_on(read, shift) == {volunteer.id: AssignmentState.ASSIGNED}


# When a place can be given ------------------------------------------------------------------


@pytest.mark.parametrize(
    "shift_fields, message",
    [
        ({"starts_at": days_from_now(-1)}, "已经开始"),
        ({"starts_at": days_from_now(0, time(0, 0)) - timedelta(minutes=1), "hours": 30}, "已经开始"),
        ({"cancelled_at": days_from_now(-2)}, "已取消"),
        ({"self_signup": False}, "由工作人员安排"),
    ],
    ids=["past", "started", "cancelled", "assignment-only"],
)
def test_no_sign_up_to_past_started_cancelled_or_staff_only_shifts(
    make_shift, make_user, shift_fields, message
):
    shift = make_shift(**shift_fields)
    with pytest.raises(RuleViolation, match=message):
        services.sign_up(shift.id, make_user())


def test_only_active_people_of_the_station_can_be_assigned(make_shift, make_user, make_station):
    shift, admin = make_shift(), make_user(Role.ADMIN)
    outsider = make_user(station=make_station())
    with pytest.raises(RuleViolation, match="本驿站"):
        services.assign(shift.id, outsider.id, by=admin)
    with pytest.raises(RuleViolation, match="本驿站"):
        services.assign(shift.id, make_user(active=False).id, by=admin)


# Overlaps -----------------------------------------------------------------------------------


def test_overlap_across_two_series_is_refused(make_shift, make_user, place):
    volunteer = make_user()
    morning_duty = make_shift(title="驿站值班", starts_at=days_from_now(3, time(9, 0)), hours=2.5)
    paper_cutting = make_shift(title="剪纸课", starts_at=days_from_now(3, time(9, 30)), hours=1.5)
    place(morning_duty, volunteer)
    with pytest.raises(RuleViolation, match=r"驿站值班.*时间冲突"):
        services.sign_up(paper_cutting.id, volunteer)


def test_overlap_across_midnight_is_refused(make_shift, make_user, place):
    volunteer = make_user()
    night = make_shift(title="夜间巡逻", starts_at=days_from_now(3, time(22, 0)), hours=4)  # until 02:00
    early = make_shift(title="早市秩序", starts_at=days_from_now(4, time(1, 0)), hours=2)
    place(night, volunteer)
    with pytest.raises(RuleViolation, match="夜间巡逻"):
        services.assign(early.id, volunteer.id, by=make_user(Role.ADMIN))


def test_back_to_back_shifts_do_not_overlap(make_shift, make_user, place, read):
    volunteer = make_user()
    first = make_shift(starts_at=days_from_now(3, time(9, 0)), hours=2)
    second = make_shift(starts_at=days_from_now(3, time(11, 0)), hours=2)
    place(first, volunteer)
    services.sign_up(second.id, volunteer)
    assert volunteer.id in people_on(read, second)


def test_cancelled_or_declined_shifts_do_not_block_other_shifts(make_shift, make_user, place, read):
    volunteer = make_user()
    place(make_shift(cancelled_at=days_from_now(-1)), volunteer)
    place(make_shift(), volunteer, AssignmentState.DECLINED, decline_reason="x")
    same_time = make_shift(title="便民服务")
    services.sign_up(same_time.id, volunteer)
    assert volunteer.id in people_on(read, same_time)


# Answers and withdrawal -----------------------------------------------------------------------


def test_confirm_and_decline_an_assignment(make_shift, make_user, place, read):
    volunteer = make_user()
    first, second = make_shift(), make_shift(starts_at=days_from_now(2))
    one = place(first, volunteer, AssignmentState.ASSIGNED)
    two = place(second, volunteer, AssignmentState.ASSIGNED)
    services.confirm(one.id, volunteer)
    services.decline(two.id, volunteer, "  要去医院复查 ")
    assert people_on(read, first)[volunteer.id] == AssignmentState.CONFIRMED
    declined = read(lambda s: s.get(Assignment, two.id))
    assert (declined.state, declined.decline_reason) == (AssignmentState.DECLINED, "要去医院复查")


def test_decline_needs_a_reason(make_shift, make_user, place):
    volunteer = make_user()
    assignment = place(make_shift(), volunteer, AssignmentState.ASSIGNED)
    with pytest.raises(RuleViolation) as refused:
        services.decline(assignment.id, volunteer, "   ")
    assert refused.value.field == "reason"


def test_nobody_answers_for_someone_else(make_shift, make_user, place):
    assignment = place(make_shift(), make_user(), AssignmentState.ASSIGNED)
    with pytest.raises(RuleViolation, match="不存在"):
        services.confirm(assignment.id, make_user())


def test_withdraw_before_the_cut_off(make_shift, make_user, place, read):
    volunteer = make_user()
    shift = make_shift(starts_at=days_from_now(2))
    assignment = place(shift, volunteer)
    services.withdraw(assignment.id, volunteer)
    assert people_on(read, shift) == {}


def test_withdraw_refused_after_the_cut_off(make_shift, make_user, place, read):
    volunteer = make_user()
    shift = make_shift(starts_at=services.utcnow() + timedelta(hours=11))
    assignment = place(shift, volunteer)
    with pytest.raises(RuleViolation, match="开始前 12 小时内不能自行退出"):
        services.withdraw(assignment.id, volunteer)
    assert people_on(read, shift) == {volunteer.id: AssignmentState.CONFIRMED}


# The configured cut-off to the second, over HTTP: tests/shifts/test_rule_edges.py.


def test_staff_can_remove_after_the_cut_off(make_shift, make_user, place, read):
    volunteer = make_user()
    shift = make_shift(starts_at=services.utcnow() + timedelta(hours=1))
    assignment = place(shift, volunteer)
    services.remove_assignment(assignment.id, by=make_user(Role.ADMIN))
    assert people_on(read, shift) == {}
    assert any("已不在" in text for text in notices_of(read, volunteer))


# Waiting list -----------------------------------------------------------------------------------


def test_waiting_list_only_for_a_full_shift(make_shift, make_user, place):
    shift = make_shift(capacity=2)
    place(shift, make_user())
    with pytest.raises(RuleViolation, match="还有空位"):
        services.join_waitlist(shift.id, make_user())


def test_first_waiting_person_gets_a_freed_place_and_is_told(make_shift, make_user, place, wait, read):
    shift = make_shift(capacity=1, starts_at=days_from_now(3))
    leaving = make_user()
    assignment = place(shift, leaving)
    first, second = make_user(), make_user()
    services.join_waitlist(shift.id, first)
    services.join_waitlist(shift.id, second)
    services.withdraw(assignment.id, leaving)
    assert people_on(read, shift) == {first.id: AssignmentState.CONFIRMED}
    assert any("空出一个名额" in text for text in notices_of(read, first))
    waiting = read(lambda s: list(s.scalars(sa.select(WaitlistEntry.user_id))))
    assert waiting == [second.id]


def test_promotion_passes_over_someone_busy_then(make_shift, make_user, place, wait, read):
    shift = make_shift(capacity=1, starts_at=days_from_now(3))
    leaving, busy, free = make_user(), make_user(), make_user()
    assignment = place(shift, leaving)
    wait(shift, busy)
    wait(shift, free)
    place(make_shift(title="便民服务", starts_at=days_from_now(3)), busy)  # took another shift meanwhile
    services.withdraw(assignment.id, leaving)
    assert people_on(read, shift) == {free.id: AssignmentState.CONFIRMED}


@pytest.mark.parametrize("how", ["decline", "remove", "more places"])
def test_every_freed_place_goes_to_the_waiting_list(make_shift, make_user, place, wait, read, how):
    shift = make_shift(capacity=1, starts_at=days_from_now(3))
    holder, waiting = make_user(), make_user()
    assignment = place(shift, holder, AssignmentState.ASSIGNED)
    wait(shift, waiting)
    if how == "decline":
        services.decline(assignment.id, holder, "出差")
    elif how == "remove":
        services.remove_assignment(assignment.id, by=make_user(Role.ADMIN))
    else:
        day, details = details_of(shift, capacity=2)
        update_shift(shift.id, day, details)
    assert people_on(read, shift)[waiting.id] == AssignmentState.CONFIRMED


# Swaps ---------------------------------------------------------------------------------------


def test_first_taker_of_an_offered_place_wins_and_the_offerer_is_told(make_shift, make_user, place, read):
    shift = make_shift(starts_at=days_from_now(3))
    offerer, taker, late = make_user(display_name="王秀英"), make_user(display_name="李志强"), make_user()
    assignment = place(shift, offerer)
    services.offer_swap(assignment.id, offerer)
    assert people_on(read, shift) == {offerer.id: AssignmentState.CONFIRMED}, "the offerer stays responsible"
    services.take_swap(assignment.id, taker)
    with pytest.raises(RuleViolation, match="已被别人接替"):
        services.take_swap(assignment.id, late)
    assert people_on(read, shift) == {taker.id: AssignmentState.CONFIRMED}
    assert any("李志强 已接替" in text for text in notices_of(read, offerer))


def test_a_busy_volunteer_cannot_take_an_offered_place(make_shift, make_user, place):
    shift = make_shift(starts_at=days_from_now(3))
    offerer, taker = make_user(), make_user()
    assignment = place(shift, offerer)
    services.offer_swap(assignment.id, offerer)
    place(make_shift(title="便民服务", starts_at=days_from_now(3)), taker)
    with pytest.raises(RuleViolation, match="时间冲突"):
        services.take_swap(assignment.id, taker)


def test_only_a_confirmed_place_can_be_offered(make_shift, make_user, place):
    volunteer = make_user()
    assignment = place(make_shift(), volunteer, AssignmentState.ASSIGNED)
    with pytest.raises(RuleViolation, match="先确认"):
        services.offer_swap(assignment.id, volunteer)


# Attendance and hours -----------------------------------------------------------------------------


def test_attendance_marks_everyone_holding_a_place(make_shift, make_user, place, read):
    shift = make_shift(starts_at=days_from_now(-1))
    came, stayed_away, declined = make_user(), make_user(), make_user()
    place(shift, came)
    place(shift, stayed_away, AssignmentState.ASSIGNED)
    place(shift, declined, AssignmentState.DECLINED, decline_reason="x")
    attendance.set_attendance(shift.id, {came.id}, by=None)
    assert people_on(read, shift) == {
        came.id: AssignmentState.ATTENDED,
        stayed_away.id: AssignmentState.NO_SHOW,
        declined.id: AssignmentState.DECLINED,
    }


def test_attendance_waits_for_the_shift_to_start(make_shift, make_user, place):
    shift = make_shift(starts_at=days_from_now(1))
    with pytest.raises(RuleViolation, match="开始后"):
        attendance.set_attendance(shift.id, set(), by=None)
