"""What the shift rules say and write down, word for word and field by field.

The people refused see the message (as a 409 fragment or next to a field), so each
refusal is checked in full, and nothing may change when one is raised. The people told
of a change read the notice and follow its link, so those are checked in full too.
The edges of the rules themselves (overlaps, order, cut-off) are in test_rule_edges.py.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.database import utcnow
from scheduler.models import Assignment, AssignmentState, Delivery, Notice, Role, WaitlistEntry
from scheduler.rules import RuleViolation
from scheduler.shifts import attendance, services
from scheduler.shifts.attendance import attendance_changed
from scheduler.shifts.formatting import shift_time
from scheduler.shifts.planning import update_shift
from tests.shifts.conftest import days_from_now, details_of

pytestmark = pytest.mark.usefixtures("in_app")

NOW = utcnow().replace(microsecond=0)


@pytest.fixture
def frozen():
    """The clock stands still, so that a time the rules write down can be compared exactly."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


def refusal(call, *args) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        call(*args)
    return refused.value


def assignment_row(read, assignment) -> Assignment | None:
    return read(lambda s: s.get(Assignment, assignment.id))


def waiting_on(read, shift) -> list[int]:
    return read(
        lambda s: list(
            s.scalars(
                sa.select(WaitlistEntry.user_id)
                .where(WaitlistEntry.shift_id == shift.id)
                .order_by(WaitlistEntry.id)
            )
        )
    )


def told(read, person) -> list[tuple[str, str, str]]:
    """(notice text, notice link, event of the in-app delivery) for each notice of ``person``."""

    def rows(session):
        notices = session.scalars(sa.select(Notice).where(Notice.user_id == person.id).order_by(Notice.id))
        events = session.scalars(
            sa.select(Delivery.event)
            .where(Delivery.user_id == person.id, Delivery.channel == "inapp")
            .order_by(Delivery.id)
        )
        return [(notice.text, notice.link, event) for notice, event in zip(notices, events, strict=True)]

    return read(rows)


MY_SHIFTS = "/me#my-shifts"


# Refusals, word for word ----------------------------------------------------------------------


def test_no_such_shift_or_assignment(make_user):
    volunteer = make_user()
    assert str(refusal(services.sign_up, 987654, volunteer)) == "这个班次已不存在。"
    assert str(refusal(services.confirm, 987654, volunteer)) == "这个安排已不存在。"


@pytest.mark.parametrize(
    "shift_fields, message",
    [
        ({"self_signup": False}, "这个班次由工作人员安排，请联系他们。"),
        ({"cancelled_at": days_from_now(-1)}, "这个班次已取消。"),
        ({"starts_at": days_from_now(-1)}, "班次已经开始，人员不能再变动。"),
    ],
    ids=["staff-only", "cancelled", "started"],
)
def test_no_waiting_list_on_a_staff_only_cancelled_or_started_shift(
    make_shift, make_user, place, read, shift_fields, message
):
    shift = make_shift(capacity=1, **shift_fields)
    place(shift, make_user())
    assert str(refusal(services.join_waitlist, shift.id, make_user())) == message
    assert waiting_on(read, shift) == []


@pytest.mark.parametrize(
    "shift_fields, message",
    [
        ({}, "这个班次已满，您可以排队候补。"),
        ({"cancelled_at": days_from_now(-1)}, "这个班次已取消。"),
        ({"starts_at": days_from_now(-1)}, "班次已经开始，人员不能再变动。"),
    ],
    ids=["open", "cancelled", "started"],
)
def test_a_full_shift_offers_the_waiting_list_only_while_it_is_open(
    make_shift, make_user, place, read, shift_fields, message
):
    shift = make_shift(capacity=1, **shift_fields)
    place(shift, make_user())
    assert str(refusal(services.sign_up, shift.id, make_user())) == message
    assert len(read(lambda s: s.scalars(sa.select(Assignment.id)).all())) == 1


def test_the_clash_named_is_the_earliest_of_several(make_shift, make_user, place):
    volunteer = make_user(display_name="李志强")
    shift = make_shift(starts_at=days_from_now(3), hours=4)
    later = make_shift(title="午间服务", starts_at=shift.starts_at + timedelta(hours=2))
    earlier = make_shift(title="早间服务", starts_at=shift.starts_at - timedelta(hours=1))
    place(later, volunteer)
    place(earlier, volunteer)
    assert str(refusal(services.sign_up, shift.id, volunteer)) == (
        f"李志强 已排在“早间服务”（{shift_time(earlier)}），与这个班次时间冲突。"
    )


def test_waiting_for_one_full_shift_does_not_stop_waiting_for_another(
    make_shift, make_user, place, wait, read
):
    first, second = (make_shift(capacity=1, title=title) for title in ("周一值班", "周三值班"))
    for shift in (first, second):
        place(shift, make_user())
    volunteer = make_user()
    wait(first, volunteer)
    services.join_waitlist(second.id, volunteer)
    waiting_for = read(
        lambda s: set(
            s.scalars(sa.select(WaitlistEntry.shift_id).where(WaitlistEntry.user_id == volunteer.id))
        )
    )
    assert waiting_for == {first.id, second.id}


@pytest.mark.parametrize(
    "state, give_up",
    [
        (AssignmentState.CONFIRMED, lambda assignment_id, user: services.withdraw(assignment_id, user)),
        (AssignmentState.ASSIGNED, lambda assignment_id, user: services.decline(assignment_id, user, "外出")),
    ],
    ids=["withdraw", "decline"],
)
def test_only_the_holder_gives_up_a_place(make_shift, make_user, place, read, state, give_up):
    """The pages look the place up among the volunteer's own first; the rule checks again under
    the lock, because a swap taken in between makes the place someone else's."""
    shift = make_shift(starts_at=days_from_now(3))
    holder = make_user()
    assignment = place(shift, holder, state)
    assert str(refusal(give_up, assignment.id, make_user())) == "这个安排已不存在。"
    assert read(lambda s: s.get(Assignment, assignment.id).state) == state


def test_waiting_list_refusals_for_the_person(make_shift, make_user, make_station, place, wait, read):
    shift = make_shift(capacity=1, title="周末值班")
    holder, waiting = make_user(display_name="王秀英"), make_user()
    place(shift, holder)
    wait(shift, waiting)
    outsider = make_user(station=make_station())
    assert str(refusal(services.join_waitlist, shift.id, outsider)) == "请选择本驿站在用账号的人员。"
    assert str(refusal(services.join_waitlist, shift.id, holder)) == "王秀英 已在这个班次上。"
    assert str(refusal(services.join_waitlist, shift.id, waiting)) == "您已在候补名单中。"
    busy = make_user(display_name="李志强")
    clash = make_shift(title="便民服务", starts_at=shift.starts_at)
    place(clash, busy)
    assert str(refusal(services.join_waitlist, shift.id, busy)) == (
        f"李志强 已排在“便民服务”（{shift_time(clash)}），与这个班次时间冲突。"
    )
    assert waiting_on(read, shift) == [waiting.id]


def test_a_waiting_list_entry_records_the_shift_station_and_person(make_shift, make_user, place, read):
    shift = make_shift(capacity=1)
    place(shift, make_user())
    volunteer = make_user()
    services.join_waitlist(shift.id, volunteer)
    entry = read(lambda s: s.scalars(sa.select(WaitlistEntry)).one())
    assert (entry.shift_id, entry.station_id, entry.user_id) == (shift.id, shift.station_id, volunteer.id)


def test_leaving_a_waiting_list_one_is_not_on(make_shift, make_user, place, wait, read):
    shift, other_shift = make_shift(capacity=1), make_shift(capacity=1, starts_at=days_from_now(2))
    place(shift, make_user())
    volunteer, other = make_user(), make_user()
    wait(other_shift, volunteer)
    wait(shift, other)
    assert str(refusal(services.leave_waitlist, shift.id, volunteer)) == "您不在这个候补名单中。"
    assert waiting_on(read, shift) == [other.id] and waiting_on(read, other_shift) == [volunteer.id]
    services.leave_waitlist(shift.id, other)
    assert waiting_on(read, shift) == [] and waiting_on(read, other_shift) == [volunteer.id]


def test_answers_only_to_an_open_question(make_shift, make_user, place, read):
    volunteer = make_user()
    confirmed = place(make_shift(), volunteer)
    assert str(refusal(services.confirm, confirmed.id, volunteer)) == "只有等待您答复的安排才能确认。"
    assert str(refusal(services.decline, confirmed.id, volunteer, "外出")) == "只有等待您答复的安排才能婉拒。"
    asked = place(make_shift(starts_at=days_from_now(2)), volunteer, AssignmentState.ASSIGNED)
    blank = refusal(services.decline, asked.id, volunteer, "  ")
    assert (str(blank), blank.field) == ("请告诉工作人员原因，方便他们安排。", "reason")
    assert str(refusal(services.withdraw, asked.id, volunteer)) == "只有已确认的班次才能退出。"
    assert assignment_row(read, asked).state == AssignmentState.ASSIGNED
    assert assignment_row(read, confirmed).state == AssignmentState.CONFIRMED


@pytest.mark.parametrize("action", ["confirm", "decline", "withdraw", "offer_swap"])
def test_no_answer_once_the_shift_has_started(make_shift, make_user, place, read, action):
    volunteer = make_user()
    state = AssignmentState.ASSIGNED if action in ("confirm", "decline") else AssignmentState.CONFIRMED
    assignment = place(make_shift(starts_at=days_from_now(-1)), volunteer, state)
    call = getattr(services, action)
    args = (assignment.id, volunteer, "外出") if action == "decline" else (assignment.id, volunteer)
    assert str(refusal(call, *args)) == "班次已经开始，人员不能再变动。"
    assert assignment_row(read, assignment).state == state


def test_a_recorded_attendance_keeps_the_person_on_the_shift(make_shift, make_user, place, read):
    volunteer = make_user(display_name="王秀英")
    attended = place(make_shift(starts_at=days_from_now(-1)), volunteer, AssignmentState.ATTENDED)
    assert str(refusal(services.remove_assignment, attended.id, make_user(Role.ADMIN))) == (
        "王秀英 的出勤已登记，不能移出这个班次。如需更改，请修改出勤并写明原因。"
    )
    assert assignment_row(read, attended).state == AssignmentState.ATTENDED


# What a place records -----------------------------------------------------------------------


def test_a_sign_up_is_confirmed_at_once_and_assigned_by_nobody(frozen, make_shift, make_user, read):
    shift, volunteer = make_shift(), make_user()
    services.sign_up(shift.id, volunteer)
    row = read(lambda s: s.scalars(sa.select(Assignment)).one())
    assert (row.shift_id, row.station_id, row.user_id) == (shift.id, shift.station_id, volunteer.id)
    assert (row.state, row.responded_at, row.assigned_by_id) == (AssignmentState.CONFIRMED, frozen, None)


def test_an_assignment_waits_for_an_answer_and_records_who_assigned(frozen, make_shift, make_user, read):
    shift, volunteer, staff = make_shift(), make_user(), make_user(Role.COORDINATOR)
    services.assign(shift.id, volunteer.id, by=staff)
    row = read(lambda s: s.scalars(sa.select(Assignment)).one())
    assert (row.state, row.responded_at, row.assigned_by_id) == (AssignmentState.ASSIGNED, None, staff.id)


def test_a_declined_place_taken_again_starts_afresh(frozen, make_shift, make_user, place, read):
    shift, volunteer = make_shift(), make_user()
    declined = place(
        shift,
        volunteer,
        AssignmentState.DECLINED,
        decline_reason="出差",
        swap_offered_at=NOW - timedelta(days=1),
    )
    services.sign_up(shift.id, volunteer)
    row = assignment_row(read, declined)
    assert (row.state, row.decline_reason, row.swap_offered_at) == (AssignmentState.CONFIRMED, "", None)


def test_taking_a_place_leaves_only_that_waiting_list(make_shift, make_user, place, wait, read):
    shift = make_shift(capacity=1)
    full = make_shift(capacity=1, starts_at=days_from_now(2))
    place(full, make_user())
    volunteer, other = make_user(), make_user()
    wait(shift, volunteer)
    wait(shift, other)
    wait(full, volunteer)
    services.sign_up(shift.id, volunteer)
    assert waiting_on(read, shift) == [other.id]
    assert waiting_on(read, full) == [volunteer.id]


def test_answers_record_when_they_were_given(frozen, make_shift, make_user, place, read):
    volunteer = make_user()
    yes = place(make_shift(), volunteer, AssignmentState.ASSIGNED)
    no = place(make_shift(starts_at=days_from_now(2)), volunteer, AssignmentState.ASSIGNED)
    services.confirm(yes.id, volunteer)
    services.decline(no.id, volunteer, "出差")
    assert (assignment_row(read, yes).state, assignment_row(read, yes).responded_at) == (
        AssignmentState.CONFIRMED,
        frozen,
    )
    assert assignment_row(read, no).responded_at == frozen


# Swaps ------------------------------------------------------------------------------------------


def test_offering_twice_keeps_the_first_time_and_the_offer_can_be_taken_back(
    make_shift, make_user, place, read
):
    volunteer = make_user()
    assignment = place(make_shift(starts_at=days_from_now(3)), volunteer)
    with time_machine.travel(NOW, tick=False):
        services.offer_swap(assignment.id, volunteer)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        services.offer_swap(assignment.id, volunteer)
    assert assignment_row(read, assignment).swap_offered_at == NOW
    someone_else = make_user()
    assert str(refusal(services.offer_swap, assignment.id, someone_else)) == "这个安排已不存在。"
    assert str(refusal(services.withdraw_swap_offer, assignment.id, someone_else)) == "这个安排已不存在。"
    assert assignment_row(read, assignment).swap_offered_at == NOW
    services.withdraw_swap_offer(assignment.id, volunteer)
    assert assignment_row(read, assignment).swap_offered_at is None


def test_a_place_no_longer_offered_cannot_be_taken(make_shift, make_user, place, read):
    offerer = make_user()
    assignment = place(make_shift(starts_at=days_from_now(3)), offerer, swap_offered_at=NOW)
    services.withdraw_swap_offer(assignment.id, offerer)
    assert str(refusal(services.take_swap, assignment.id, make_user())) == (
        "这个班次已被别人接替，或已不再找人替班。"
    )
    assert assignment_row(read, assignment).user_id == offerer.id


def test_swap_refusals_for_the_taker(make_shift, make_user, make_station, place, read):
    shift = make_shift(starts_at=days_from_now(3), capacity=3)
    offerer, on_it = make_user(), make_user(display_name="李志强")
    assignment = place(shift, offerer, swap_offered_at=NOW)
    place(shift, on_it)
    assert str(refusal(services.take_swap, assignment.id, offerer)) == "这是您自己的班次。"
    assert str(refusal(services.take_swap, assignment.id, on_it)) == "李志强 已在这个班次上。"
    outsider = make_user(station=make_station())
    assert str(refusal(services.take_swap, assignment.id, outsider)) == "请选择本驿站在用账号的人员。"
    assert assignment_row(read, assignment).user_id == offerer.id


def test_an_offered_place_cannot_be_taken_once_the_shift_started(make_shift, make_user, place, read):
    offerer = make_user()
    assignment = place(make_shift(starts_at=days_from_now(-1)), offerer, swap_offered_at=NOW)
    assert str(refusal(services.take_swap, assignment.id, make_user())) == "班次已经开始，人员不能再变动。"
    assert assignment_row(read, assignment).user_id == offerer.id


def test_a_taken_swap_hands_the_place_over_and_clears_the_takers_old_answers(
    frozen, make_shift, make_user, place, wait, read
):
    shift = make_shift(starts_at=days_from_now(3), capacity=1, title="周末值班")
    other_full = make_shift(starts_at=days_from_now(4), capacity=1)
    place(other_full, make_user())
    offerer, taker, waiting = make_user(), make_user(display_name="李志强"), make_user()
    assignment = place(shift, offerer, swap_offered_at=NOW - timedelta(hours=2))
    old_decline = place(shift, taker, AssignmentState.DECLINED, decline_reason="出差")
    wait(shift, taker)
    wait(shift, waiting)
    wait(other_full, taker)
    services.take_swap(assignment.id, taker)
    row = assignment_row(read, assignment)
    assert (row.user_id, row.state, row.swap_offered_at, row.responded_at) == (
        taker.id,
        AssignmentState.CONFIRMED,
        None,
        frozen,
    )
    assert assignment_row(read, old_decline) is None
    assert waiting_on(read, shift) == [waiting.id]
    assert waiting_on(read, other_full) == [taker.id]
    assert told(read, offerer) == [
        (
            f"李志强 已接替您在“周末值班”（{shift_time(shift)}）的班次，您那时不用来了。",
            MY_SHIFTS,
            "shift.swap",
        )
    ]


# Staff: who is told --------------------------------------------------------------------------------


def test_the_assigned_person_is_told_with_a_link_to_their_shifts(make_shift, make_user, read):
    shift, volunteer, staff = make_shift(title="周末值班"), make_user(), make_user(Role.COORDINATOR)
    services.assign(shift.id, volunteer.id, by=staff)
    assert told(read, volunteer) == [
        (f"您被安排在“周末值班”（{shift_time(shift)}），请确认或婉拒。", MY_SHIFTS, "shift.assigned")
    ]


def test_staff_putting_themselves_on_a_shift_are_not_told(make_shift, make_user, read):
    shift, staff = make_shift(), make_user(Role.COORDINATOR)
    services.assign(shift.id, staff.id, by=staff)
    assert told(read, staff) == []


def test_the_removed_person_is_told_and_the_first_waiting_one_promoted(
    make_shift, make_user, place, wait, read
):
    shift = make_shift(title="周末值班", capacity=1, starts_at=days_from_now(3))
    removed, waiting = make_user(), make_user()
    assignment = place(shift, removed, AssignmentState.ASSIGNED)
    wait(shift, waiting)
    services.remove_assignment(assignment.id, by=make_user(Role.ADMIN))
    when = shift_time(shift)
    assert told(read, removed) == [(f"您已不在“周末值班”（{when}）的班次上。", MY_SHIFTS, "shift.removed")]
    assert told(read, waiting) == [
        (f"“周末值班”（{when}）空出一个名额，已为您补上。", MY_SHIFTS, "shift.promoted")
    ]


@pytest.mark.parametrize(
    "case",
    ["declined", "removes themselves", "cancelled shift", "started shift"],
)
def test_nobody_is_told_of_a_removal_that_changes_nothing_for_them(make_shift, make_user, place, read, case):
    staff = make_user(Role.ADMIN)
    shift_fields = {
        "cancelled shift": {"cancelled_at": days_from_now(-1)},
        "started shift": {"starts_at": days_from_now(-1)},
    }.get(case, {})
    shift = make_shift(**shift_fields)
    person = staff if case == "removes themselves" else make_user()
    state = AssignmentState.DECLINED if case == "declined" else AssignmentState.CONFIRMED
    assignment = place(shift, person, state, decline_reason="出差" if case == "declined" else "")
    services.remove_assignment(assignment.id, by=staff)
    assert assignment_row(read, assignment) is None
    assert told(read, person) == []


# Promotion from the waiting list -------------------------------------------------------------------


def test_every_free_place_is_filled_and_no_more(make_shift, make_user, place, wait, read):
    shift = make_shift(capacity=3, starts_at=days_from_now(3))
    holders = [make_user() for _ in range(3)]
    assignments = [place(shift, holder) for holder in holders]
    first, second, third = make_user(), make_user(), make_user()
    for person in (first, second, third):
        wait(shift, person)
    services.withdraw(assignments[0].id, holders[0])
    services.remove_assignment(assignments[1].id, by=make_user(Role.ADMIN))
    on_shift = read(
        lambda s: set(s.scalars(sa.select(Assignment.user_id).where(Assignment.shift_id == shift.id)))
    )
    assert on_shift == {holders[2].id, first.id, second.id}
    assert waiting_on(read, shift) == [third.id]


def test_two_places_freed_at_once_go_to_the_first_two(make_shift, make_user, place, wait, read):
    shift = make_shift(capacity=1, starts_at=days_from_now(3))
    place(shift, make_user())
    first, second, third = make_user(), make_user(), make_user()
    for person in (first, second, third):
        wait(shift, person)
    day, details = details_of(shift, capacity=3)
    update_shift(shift.id, day, details)
    assert waiting_on(read, shift) == [third.id]


def test_promotion_passes_over_someone_no_longer_active(make_shift, make_user, place, wait, read):
    shift = make_shift(capacity=1, starts_at=days_from_now(3))
    leaving, gone, active = make_user(), make_user(active=False), make_user()
    assignment = place(shift, leaving)
    wait(shift, gone)
    wait(shift, active)
    services.withdraw(assignment.id, leaving)
    on_shift = read(
        lambda s: list(s.scalars(sa.select(Assignment.user_id).where(Assignment.shift_id == shift.id)))
    )
    assert on_shift == [active.id]
    assert waiting_on(read, shift) == [gone.id]


@pytest.mark.parametrize(
    "shift_fields", [{"starts_at": days_from_now(-1)}, {"cancelled_at": days_from_now(-1)}]
)
def test_no_promotion_onto_a_started_or_cancelled_shift(
    make_shift, make_user, place, wait, read, shift_fields
):
    shift = make_shift(capacity=1, **shift_fields)
    removed, waiting = make_user(), make_user()
    assignment = place(shift, removed)
    wait(shift, waiting)
    services.remove_assignment(assignment.id, by=make_user(Role.ADMIN))
    assert read(lambda s: list(s.scalars(sa.select(Assignment).where(Assignment.shift_id == shift.id)))) == []
    assert waiting_on(read, shift) == [waiting.id]


def test_a_place_freed_by_a_removal_goes_confirmed_to_the_first_waiting(
    frozen, make_shift, make_user, place, wait, read
):
    shift = make_shift(capacity=1, starts_at=days_from_now(3))
    removed, waiting = place(shift, make_user()), make_user()
    wait(shift, waiting)
    services.remove_assignment(removed.id, by=make_user(Role.ADMIN))
    row = read(lambda s: s.scalars(sa.select(Assignment).where(Assignment.shift_id == shift.id)).one())
    assert (row.user_id, row.state, row.responded_at) == (waiting.id, AssignmentState.CONFIRMED, frozen)


# Attendance ---------------------------------------------------------------------------------------


def test_no_attendance_on_a_cancelled_shift(make_shift, make_user):
    shift = make_shift(starts_at=days_from_now(-1), cancelled_at=days_from_now(-1))
    refused = refusal(attendance.set_attendance, shift.id, set(), make_user(Role.ADMIN))
    assert (refused.message, refused.field) == ("这个班次已取消。", None)


def test_a_correction_without_a_reason_is_refused_at_the_reason(make_shift, make_user, place, read):
    shift = make_shift(starts_at=days_from_now(-1))
    came = place(shift, make_user(), AssignmentState.ATTENDED)
    refused = refusal(attendance.set_attendance, shift.id, set(), make_user(Role.ADMIN))
    assert (refused.message, refused.field) == ("出勤已登记过。请写明更改原因，更改记录会保留。", "reason")
    assert assignment_row(read, came).state == AssignmentState.ATTENDED


def test_checking_in_one_person_changes_only_them_and_announces_who_did_it(
    make_shift, make_user, place, read
):
    shift, staff = make_shift(starts_at=days_from_now(-1)), make_user(Role.COORDINATOR)
    first, checked_in = place(shift, make_user()), place(shift, make_user())
    heard = []

    def listen(sender, by, changes):
        heard.append((sender.id, by.id, [(c.assignment.id, c.to_state) for c in changes]))

    with attendance_changed.connected_to(listen):
        attendance.set_attendance(shift.id, {checked_in.user_id}, staff, judged_user_ids={checked_in.user_id})
    assert heard == [(shift.id, staff.id, [(checked_in.id, AssignmentState.ATTENDED)])]
    assert assignment_row(read, first).state == AssignmentState.CONFIRMED
