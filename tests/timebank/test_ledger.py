"""The ledger's rules: earning follows attendance and done tasks exactly once, corrections are
reversals, entries are never changed, and a redemption never spends more than the balance."""

import pytest
import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    CreditEntry,
    CreditRate,
    EntryKind,
    LedgerIsAppendOnly,
    ShiftKind,
    SourceKind,
    TaskKind,
    TaskState,
)
from scheduler.rules import RuleViolation
from scheduler.shifts.attendance import set_attendance
from scheduler.timebank import services
from tests.timebank.conftest import entries_of


def test_attendance_earns_the_shift_hours_once_however_often_it_is_saved(
    in_app, past_shift, place, make_user
):
    # Bug caught: earning posted on every save of attendance (double credit).
    shift = past_shift()
    person = make_user()
    place(shift, person)
    set_attendance(shift.id, {person.id}, by=None, reason="corrected in the test")
    set_attendance(shift.id, {person.id}, by=None, reason="corrected in the test")
    assert entries_of(person.id) == [(EntryKind.EARN, 250)]


def test_corrected_to_no_show_appends_a_reversal_and_back_earns_again(in_app, past_shift, place, make_user):
    # Bug caught: a correction editing or deleting the earning instead of reversing it.
    shift = past_shift()
    person = make_user()
    place(shift, person)
    set_attendance(shift.id, {person.id}, by=None, reason="corrected in the test")
    set_attendance(shift.id, set(), by=None, reason="corrected in the test")
    set_attendance(shift.id, {person.id}, by=None, reason="corrected in the test")
    assert entries_of(person.id) == [(EntryKind.EARN, 250), (EntryKind.REVERSAL, -250), (EntryKind.EARN, 250)]
    assert services.balance(person.id) == 250


def test_a_no_show_earns_nothing(in_app, past_shift, place, make_user):
    # Bug caught: every place holder credited, not just those who came.
    shift = past_shift()
    came, absent = make_user(), make_user()
    place(shift, came)
    place(shift, absent)
    set_attendance(shift.id, {came.id}, by=None, reason="corrected in the test")
    assert entries_of(absent.id) == []
    assert services.balance(came.id) == 250


def test_the_admins_rate_for_the_kind_of_work_applies(in_app, station, past_shift, place, make_user):
    # Bug caught: the rate of one kind applied to another, or the default ignoring the admin.
    services.set_rates(station.id, {"shift:activity": 200, "shift:duty": 50})
    activity, duty = past_shift(kind=ShiftKind.ACTIVITY), past_shift(kind=ShiftKind.DUTY, capacity=3)
    person = make_user()
    place(activity, person)
    set_attendance(activity.id, {person.id}, by=None, reason="corrected in the test")
    other = make_user()
    place(duty, other)
    set_attendance(duty.id, {other.id}, by=None, reason="corrected in the test")
    assert services.balance(person.id) == 500  # 2.5 h × 2 credits
    assert services.balance(other.id) == 125  # 2.5 h × 0.5 credits


def test_a_change_of_rates_does_not_reprice_work_already_credited(
    in_app, station, past_shift, place, make_user
):
    # Bug caught: re-saving an old shift's attendance after a rate change rewriting its credit.
    shift, later = past_shift(), past_shift()
    person = make_user()
    place(shift, person)
    place(later, person)
    set_attendance(shift.id, {person.id}, by=None, reason="corrected in the test")
    services.set_rates(station.id, {"shift:duty": 300})
    set_attendance(shift.id, set(), by=None, reason="corrected in the test")
    set_attendance(shift.id, {person.id}, by=None, reason="corrected in the test")
    assert entries_of(person.id) == [(EntryKind.EARN, 250), (EntryKind.REVERSAL, -250), (EntryKind.EARN, 250)]
    set_attendance(later.id, {person.id}, by=None, reason="corrected in the test")
    assert services.balance(person.id) == 250 + 750, "new work earns at the new rate"


def test_a_done_task_earns_its_minutes(app, make_task, make_user, read):
    # Bug caught: the task's minutes not yet known when the state machine moves it to done.
    person = make_user()
    task = make_task(state=TaskState.DONE, assignee=person, kind=TaskKind.MEDICINE)
    assert read(lambda s: entries_of(person.id)) == [(EntryKind.EARN, 50)]  # 30 minutes at 1 credit an hour
    with app.app_context():
        services.settle(db.session.get(type(task), task.id))
        db.session.commit()
    assert read(lambda s: entries_of(person.id)) == [(EntryKind.EARN, 50)], "settling again changes nothing"


def test_a_task_not_done_earns_nothing(app, station, make_task, make_user, read):
    # Bug caught: credit on acceptance or cancellation, even a few hundredths at the top rate.
    with app.app_context():
        services.set_rates(station.id, {"task:visit": services.MAX_RATE})
    person = make_user()
    make_task(state=TaskState.ACCEPTED, assignee=person)
    make_task(state=TaskState.DECLINED, assignee=person)
    assert read(lambda s: entries_of(person.id)) == []


def test_entries_cannot_be_changed_or_deleted(in_app, credit, make_user):
    # Bug caught: a code path "fixing" the ledger in place, which would erase its history.
    entry = db.session.get(CreditEntry, credit(make_user(), 100).id)
    entry.hundredths = 1000
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(CreditEntry, entry.id))
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    for statement in (sa.update(CreditEntry).values(hundredths=0), sa.delete(CreditEntry)):
        with pytest.raises(LedgerIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.scalar(sa.select(CreditEntry.hundredths)) == 100


def test_redeeming_spends_credits_and_never_more_than_the_balance(in_app, station, credit, make_user):
    # Bug caught: a redemption taking the balance below zero, or one recorded without a purpose.
    person, staff = make_user(), make_user()
    credit(person, 300)
    services.redeem(station.id, person.id, 200, "给母亲理发", staff)
    with pytest.raises(RuleViolation) as refused:
        services.redeem(station.id, person.id, 101, "再理一次", staff)
    assert refused.value.field == "credits" and "1" in refused.value.message
    with pytest.raises(RuleViolation):
        services.redeem(station.id, person.id, 50, "   ", staff)
    assert entries_of(person.id) == [(EntryKind.EARN, 300), (EntryKind.REDEEM, -200)]
    assert services.balance(person.id) == 100


def test_redeeming_for_a_person_of_another_station_is_refused(
    in_app, station, make_station, credit, make_user
):
    # Bug caught: staff of one station spending another station's volunteer's credits.
    stranger, staff = make_user(station=make_station("别的驿站")), make_user()
    credit(stranger, 300)
    with pytest.raises(RuleViolation):
        services.redeem(station.id, stranger.id, 100, "理发", staff)
    assert services.balance(stranger.id) == 300


def test_a_reversal_of_spent_credit_leaves_a_debt_that_blocks_redeeming(
    in_app, station, past_shift, place, make_user
):
    # The documented choice: a correction is never refused; the balance shows what is owed.
    shift = past_shift()
    person, staff = make_user(), make_user()
    place(shift, person)
    set_attendance(shift.id, {person.id}, by=None, reason="corrected in the test")
    services.redeem(station.id, person.id, 250, "上门理发", staff)
    set_attendance(shift.id, set(), by=None, reason="corrected in the test")
    assert services.balance(person.id) == -250
    with pytest.raises(RuleViolation):
        services.redeem(station.id, person.id, 1, "再兑", staff)


def test_settle_does_nothing_for_a_place_still_confirmed(in_app, past_shift, place, make_user):
    # Bug caught: crediting a place before attendance is recorded.
    shift = past_shift()
    person = make_user()
    assignment = place(shift, person, AssignmentState.CONFIRMED)
    assert services.settle(db.session.get(type(assignment), assignment.id)) == []


# The refusals and records in full ------------------------------------------------------------------


def refusal(call, *args) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        call(*args)
    return refused.value


@pytest.mark.parametrize(
    "hundredths, what_for, message, field",
    [
        (100, "  ", "请写明兑换了什么。", "what_for"),
        (0, "理发", "请输入 0.01 到 1000 个时间币。", "credits"),
        (-100, "理发", "请输入 0.01 到 1000 个时间币。", "credits"),
        (100_001, "理发", "请输入 0.01 到 1000 个时间币。", "credits"),
    ],
    ids=["no purpose", "nothing", "negative", "over 1000"],
)
def test_a_redemption_out_of_range_says_which_field_and_why(
    in_app, station, credit, make_user, hundredths, what_for, message, field
):
    person = make_user()
    credit(person, 200_000)
    refused = refusal(services.redeem, station.id, person.id, hundredths, what_for, make_user())
    assert (refused.message, refused.field) == (message, field)
    assert services.balance(person.id) == 200_000


def test_a_redemption_of_one_hundredth_to_a_thousand_credits_is_allowed(in_app, station, credit, make_user):
    person, staff = make_user(), make_user()
    credit(person, 100_001)
    services.redeem(station.id, person.id, 1, "一分", staff)
    services.redeem(station.id, person.id, 100_000, "一千", staff)
    assert services.balance(person.id) == 0


def test_a_redemption_for_nobody_of_this_station_is_refused_at_the_person(
    in_app, station, make_station, credit, make_user
):
    stranger = make_user(station=make_station("别的驿站"))
    credit(stranger, 300)
    for user_id in (stranger.id, 987654):
        refused = refusal(services.redeem, station.id, user_id, 100, "理发", make_user())
        assert (refused.message, refused.field) == ("请选择本站的人员。", "user_id")


def test_not_enough_credits_says_what_there_is_and_what_was_asked(in_app, station, credit, make_user):
    person = make_user(display_name="王秀英")
    credit(person, 300)
    refused = refusal(services.redeem, station.id, person.id, 301, "理发", make_user())
    assert (refused.message, refused.field) == ("王秀英 只有 3 个时间币，不够兑换 3.01 个。", "credits")
    services.redeem(station.id, person.id, 300, "理发", make_user())
    assert services.balance(person.id) == 0, "the whole balance can be spent"


def test_a_redemption_records_who_what_for_and_how_much(in_app, station, credit, make_user):
    person, staff = make_user(), make_user()
    credit(person, 300)
    entry_id = services.redeem(station.id, person.id, 120, "  给母亲理发 ", staff).id
    entry = db.session.get(CreditEntry, entry_id)
    assert (
        entry.station_id,
        entry.user_id,
        entry.kind,
        entry.hundredths,
        entry.note,
        entry.recorded_by_id,
    ) == (
        station.id,
        person.id,
        EntryKind.REDEEM,
        -120,
        "给母亲理发",
        staff.id,
    )


@pytest.mark.parametrize(
    "hundredths, text", [(1200, "12"), (75, "0.75"), (-350, "-3.5"), (0, "0"), (1, "0.01")]
)
def test_credits_read_as_people_write_them(hundredths, text):
    assert services.credits_text(hundredths) == text


def test_rates_from_0_to_100_credits_an_hour_for_known_work_only(in_app, station, make_station):
    other_station = make_station("别的驿站")
    services.set_rates(other_station.id, {"shift:duty": 300})
    services.set_rates(station.id, {"shift:duty": 0, "task:visit": 10_000})
    refused = refusal(services.set_rates, station.id, {"task:visit": 10_001})
    assert (refused.message, refused.field) == ("每小时的时间币在 0 到 100 之间。", "task:visit")
    refused = refusal(services.set_rates, station.id, {"shift:duty": -1})
    assert (refused.message, refused.field) == ("每小时的时间币在 0 到 100 之间。", "shift:duty")
    assert str(refusal(services.set_rates, station.id, {"shift:nap": 100})) == "未知的服务类别。"
    expected = {work: 100 for work, _label in services.work_kinds()} | {"shift:duty": 0, "task:visit": 10_000}
    assert services.rates(station.id) == expected
    assert services.rates(other_station.id)["shift:duty"] == 300
    assert set(expected) == {"shift:duty", "shift:activity"} | {f"task:{kind.value}" for kind in TaskKind}


def test_only_rates_that_differ_from_the_default_are_stored_and_a_stored_one_can_return_to_it(
    in_app, station
):
    services.set_rates(station.id, {"shift:duty": 100, "shift:activity": 150})
    assert db.session.scalars(sa.select(CreditRate.work)).all() == ["shift:activity"]
    services.set_rates(station.id, {"shift:activity": 100})
    assert services.rates(station.id)["shift:activity"] == 100


def test_an_earning_records_its_source_and_rate(in_app, station, past_shift, place, make_user):
    services.set_rates(station.id, {"shift:duty": 150})
    shift, person = past_shift(), make_user()
    assignment = place(shift, person)
    set_attendance(shift.id, {person.id}, by=None, reason="corrected in the test")
    entry = db.session.scalars(sa.select(CreditEntry)).one()
    assert (
        entry.station_id,
        entry.user_id,
        entry.kind,
        entry.hundredths,
        entry.source_kind,
        entry.source_id,
        entry.per_hour,
    ) == (station.id, person.id, EntryKind.EARN, 375, SourceKind.ASSIGNMENT, assignment.id, 150)


def test_a_cancelled_shift_earns_nothing_even_when_attended(in_app, past_shift, place, make_user):
    shift, person = past_shift(cancelled_at=utcnow()), make_user()
    assignment = place(shift, person, AssignmentState.ATTENDED)
    assert services.settle(db.session.get(Assignment, assignment.id)) == []


def test_two_earnings_of_one_place_reprice_nothing_and_one_of_another_place_is_separate(
    in_app, station, past_shift, place, make_user
):
    """The first earning's rate is the place's own, found among the place's own entries."""
    first, second = past_shift(), past_shift(kind=ShiftKind.ACTIVITY)
    person = make_user()
    place(first, person)
    place(second, person)
    set_attendance(first.id, {person.id}, by=None, reason="corrected in the test")
    services.set_rates(station.id, {"shift:activity": 400})
    set_attendance(second.id, {person.id}, by=None, reason="corrected in the test")
    set_attendance(second.id, set(), by=None, reason="corrected in the test")
    set_attendance(second.id, {person.id}, by=None, reason="corrected in the test")
    assert entries_of(person.id) == [
        (EntryKind.EARN, 250),
        (EntryKind.EARN, 1000),
        (EntryKind.REVERSAL, -1000),
        (EntryKind.EARN, 1000),
    ]
