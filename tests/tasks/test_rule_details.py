"""What the task rules say and write down, word for word and field by field.

Each refusal is read in full (people see it as a 409 or next to a field) and changes
nothing; each move leaves its history row; the people told of a change read a notice
that names the task without a resident's data.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Beneficiary,
    Health,
    Notice,
    Role,
    Task,
    TaskEvent,
    TaskKind,
    TaskState,
    User,
    VisitRecord,
)
from scheduler.rules import RuleViolation
from scheduler.shifts.weeks import to_local
from scheduler.tasks import services
from scheduler.tasks.services import Checklist

NOW = utcnow().replace(microsecond=0)


def attached(values):
    """The arguments as the service gets them from a route: people loaded in this session."""
    return [db.session.get(User, value.id) if isinstance(value, User) else value for value in values]


@pytest.fixture
def act(app):
    """``act("accept", task, person, *more)``: the service called as a route calls it; the new state."""

    def call(action: str, task, *args):
        with app.test_request_context():
            result = getattr(services, action)(db.session.get(Task, task.id), *attached(args))
            return db.session.get(Task, result.id).state

    return call


@pytest.fixture
def refused(app):
    """``refused("accept", task, person)``: the refusal's (message, field), the task unchanged."""

    def call(action: str, task, *args) -> tuple[str, str | None]:
        with app.test_request_context():
            before = db.session.get(Task, task.id).state
            with pytest.raises(RuleViolation) as refusal:
                getattr(services, action)(db.session.get(Task, task.id), *attached(args))
            db.session.rollback()
            assert db.session.get(Task, task.id).state == before
            return refusal.value.message, refusal.value.field

    return call


def history(app, task) -> list[tuple]:
    with app.app_context():
        return [
            (event.actor_id, event.assignee_id, event.from_state, event.to_state, event.note)
            for event in db.session.scalars(
                sa.select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)
            )
        ]


def notices_of(app, person) -> list[str]:
    with app.app_context():
        statement = sa.select(Notice.text).where(Notice.user_id == person.id).order_by(Notice.id)
        return list(db.session.scalars(statement))


def summary(app, task) -> str:
    """Kind, building and start, as a notice names a task: "上门探访 · 1号楼 · 03-02 09:00"."""
    with app.test_request_context():
        loaded = db.session.get(Task, task.id)
        when = to_local(loaded.starts_at).strftime("%m-%d %H:%M")
        return f"{loaded.kind.label} · {loaded.beneficiary.building.name} · {when}"


# Who may act ------------------------------------------------------------------------------------


def test_only_the_stations_staff_cancel_reopen_open_or_handle(
    make_task, make_user, make_station, refused, station_admin
):
    volunteer = make_user()
    other_admin = make_user(Role.ADMIN, station=make_station())
    staff_only = ("只有驿站工作人员可以执行此操作。", None)
    task = make_task(TaskState.DECLINED, make_user())
    for person in (volunteer, other_admin):
        assert refused("cancel", task, person, "不需要了") == staff_only
        assert refused("reopen", task, person) == staff_only
        assert refused("set_open_to_claim", task, person, True) == staff_only
        assert refused("assign", task, volunteer, person) == staff_only


def test_only_the_holder_accepts_or_completes(make_task, make_user, refused):
    holder, other = make_user(), make_user()
    task = make_task(TaskState.ASSIGNED, holder)
    assert refused("accept", task, other) == ("这不是您的任务。", None)
    accepted = make_task(TaskState.ACCEPTED, holder)
    assert refused("complete", accepted, other, Checklist(Health.GOOD), "好", 30) == (
        "这不是您的任务。",
        None,
    )


def test_someone_else_declining_must_be_staff(make_task, make_user, refused, act, app, station_admin):
    holder, other = make_user(), make_user()
    task = make_task(TaskState.ASSIGNED, holder)
    assert refused("decline", task, other, "有事") == ("只有驿站工作人员可以执行此操作。", None)
    assert act("decline", task, station_admin, "  他住院了 ") == TaskState.DECLINED
    assert history(app, task)[-1] == (
        station_admin.id,
        holder.id,
        TaskState.ASSIGNED,
        TaskState.DECLINED,
        "他住院了",
    )


def test_reopening_records_who_put_the_task_back(make_task, make_user, act, app, station_admin):
    holder = make_user()
    task = make_task(TaskState.DECLINED, holder)
    assert act("reopen", task, station_admin) == TaskState.OPEN
    actor, _assignee, from_state, to_state, _note = history(app, task)[-1]
    assert (actor, from_state, to_state) == (station_admin.id, TaskState.DECLINED, TaskState.OPEN)


@pytest.mark.parametrize("who", ["other station", "inactive", "superadmin"])
def test_a_task_goes_only_to_an_active_member_of_the_station(
    make_task, make_user, make_station, refused, station_admin, who
):
    person = {
        "other station": lambda: make_user(station=make_station()),
        "inactive": lambda: make_user(active=False),
        "superadmin": lambda: make_user(Role.SUPERADMIN),
    }[who]()
    task = make_task()
    assert refused("assign", task, person, station_admin) == ("请选择本驿站在岗的人员。", "assignee_id")


def test_giving_a_task_to_its_holder_again_is_refused_by_name(make_task, make_user, refused, station_admin):
    holder = make_user(display_name="王秀英")
    task = make_task(TaskState.ACCEPTED, holder)
    assert refused("assign", task, holder, station_admin) == ("王秀英 已经在负责这项任务。", None)


# Moves and their history ---------------------------------------------------------------------------


def test_an_illegal_move_names_both_states(make_task, make_user, refused):
    holder = make_user()
    task = make_task(TaskState.ASSIGNED, holder)
    message, field = refused("complete", task, holder, Checklist(Health.GOOD), "好", 30)
    assert (message, field) == ("这项任务当前为“已指派，待接受”，不能变为“已完成”。", None)


def test_each_move_records_who_to_whom_from_what_and_when(app, make_task, make_user, act, station_admin):
    holder = make_user()
    task = make_task()
    with time_machine.travel(NOW, tick=False):
        act("assign", task, holder, station_admin)
        act("accept", task, holder)
    assert history(app, task) == [
        (station_admin.id, None, None, TaskState.OPEN, ""),
        (station_admin.id, holder.id, TaskState.OPEN, TaskState.ASSIGNED, ""),
        (holder.id, holder.id, TaskState.ASSIGNED, TaskState.ACCEPTED, ""),
    ]
    with app.app_context():
        loaded = db.session.get(Task, task.id)
        assert (loaded.assignee_id, loaded.state_changed_at) == (holder.id, NOW)
        moved_at = db.session.scalars(
            sa.select(TaskEvent.at).where(TaskEvent.task_id == task.id, TaskEvent.from_state.is_not(None))
        )
        assert list(moved_at) == [NOW, NOW]


def test_reassigning_a_held_task_takes_it_back_tells_the_holder_and_reopens_it(
    app, make_task, make_user, act, station_admin
):
    holder, newcomer = make_user(), make_user()
    task = make_task(TaskState.ACCEPTED, holder)
    act("assign", task, newcomer, station_admin)
    assert history(app, task)[-3:] == [
        (station_admin.id, holder.id, TaskState.ACCEPTED, TaskState.DECLINED, ""),
        (station_admin.id, None, TaskState.DECLINED, TaskState.OPEN, ""),
        (station_admin.id, newcomer.id, TaskState.OPEN, TaskState.ASSIGNED, ""),
    ]
    assert notices_of(app, holder)[-1] == f"您的一项任务已改派他人：{summary(app, task)}。"


def test_a_cancelled_task_tells_its_holder_unless_the_holder_cancelled(
    app, make_task, make_user, act, station_admin, refused
):
    holder = make_user()
    task = make_task(TaskState.ASSIGNED, holder)
    assert refused("cancel", task, station_admin, "  ") == ("请简要说明取消原因。", "reason")
    act("cancel", task, station_admin, " 家属已接走 ")
    assert notices_of(app, holder)[-1] == f"您的一项任务已取消：{summary(app, task)}。"
    assert history(app, task)[-1] == (
        station_admin.id,
        holder.id,
        TaskState.ASSIGNED,
        TaskState.CANCELLED,
        "家属已接走",
    )
    with app.app_context():
        assert db.session.get(Task, task.id).assignee_id is None
    coordinator = make_user(Role.COORDINATOR)
    own = make_task(TaskState.ASSIGNED, coordinator)
    act("cancel", own, coordinator, "不需要了")
    assert not [text for text in notices_of(app, coordinator) if "已取消" in text]


def test_declining_needs_a_reason_of_at_most_500_characters(make_task, make_user, refused, act):
    holder = make_user()
    task = make_task(TaskState.ASSIGNED, holder)
    assert refused("decline", task, holder, "   ") == ("请简要说明原因，便于驿站另行安排。", "reason")
    assert refused("decline", task, holder, "很" * 501) == ("请不要超过 500 个字。", "reason")
    assert act("decline", task, holder, "很" * 500) == TaskState.DECLINED


# Completing a visit -------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [None, 0, 601])
def test_minutes_are_from_1_to_600(make_task, make_user, refused, minutes):
    holder = make_user()
    task = make_task(TaskState.ACCEPTED, holder)
    assert refused("complete", task, holder, Checklist(Health.GOOD), "好", minutes) == (
        "请填写用时（1 至 600 分钟）。",
        "minutes",
    )


@pytest.mark.parametrize("minutes", [1, 600])
def test_one_minute_or_six_hundred_are_accepted(make_task, make_user, act, minutes):
    holder = make_user()
    task = make_task(TaskState.ACCEPTED, holder)
    assert act("complete", task, holder, Checklist(Health.GOOD), "好", minutes) == TaskState.DONE


def test_a_visit_needs_a_note(make_task, make_user, refused):
    holder = make_user()
    task = make_task(TaskState.ACCEPTED, holder)
    assert refused("complete", task, holder, Checklist(Health.GOOD), " ", 30) == (
        "请简要记录探访情况。",
        "note",
    )


def test_a_completed_visit_keeps_the_whole_checklist_and_counts_as_a_visit(
    app, make_task, make_user, make_beneficiary, act
):
    holder, beneficiary = make_user(), make_beneficiary()
    task = make_task(TaskState.ACCEPTED, holder, beneficiary=beneficiary)
    checklist = Checklist(Health.FOLLOW_UP, safety_hazard=True, needs_help=True, other_concern=True)
    with time_machine.travel(NOW, tick=False):
        act("complete", task, holder, checklist, " 煤气灶漏气 ", 45)
    with app.app_context():
        record = db.session.scalars(sa.select(VisitRecord)).one()
        assert (
            record.task_id,
            record.station_id,
            record.health,
            record.safety_hazard,
            record.needs_help,
            record.other_concern,
            record.note,
            record.minutes,
            record.flagged,
        ) == (task.id, task.station_id, Health.FOLLOW_UP, True, True, True, "煤气灶漏气", 45, True)
        assert db.session.get(Beneficiary, beneficiary.id).last_visit_at == NOW
    assert history(app, task)[-1] == (holder.id, holder.id, TaskState.ACCEPTED, TaskState.DONE, "煤气灶漏气")


def test_a_visit_without_concerns_is_not_flagged(app, make_task, make_user, act):
    holder = make_user()
    task = make_task(TaskState.ACCEPTED, holder)
    act("complete", task, holder, Checklist(Health.GOOD), "一切都好", 30)
    with app.app_context():
        assert db.session.scalars(sa.select(VisitRecord.flagged)).one() is False


# Handling a flag -----------------------------------------------------------------------------------


def test_a_flag_is_handled_once_by_staff_with_a_note(app, make_task, make_user, station_admin, act):
    holder = make_user()
    task = make_task(TaskState.ACCEPTED, holder)
    act("complete", task, holder, Checklist(Health.FOLLOW_UP, safety_hazard=True), "漏气", 30)

    def handle(actor, note):
        with app.test_request_context():
            record = db.session.scalars(sa.select(VisitRecord)).one()
            try:
                services.handle_flag(record, db.session.get(User, actor.id), note)
            except RuleViolation as refusal:
                return refusal.message, refusal.field
            return None

    assert handle(holder, "已处理") == ("只有驿站工作人员可以执行此操作。", None)
    assert handle(make_user(Role.ADMIN, station=None), "已处理") == ("只有驿站工作人员可以执行此操作。", None)
    assert handle(station_admin, "  ") == ("请写明处理情况。", "note")
    with time_machine.travel(NOW, tick=False):
        assert handle(station_admin, " 已联系燃气公司 ") is None
    assert handle(make_user(Role.COORDINATOR), "再处理") == ("已有其他人处理过了。", None)
    with app.app_context():
        record = db.session.scalars(sa.select(VisitRecord)).one()
        assert (record.handled_at, record.handled_by_id, record.handling_note) == (
            NOW,
            station_admin.id,
            "已联系燃气公司",
        )


# Claiming ----------------------------------------------------------------------------------------


def test_claim_refusals(make_task, make_user, make_station, refused, act, station_admin):
    assert refused("claim", make_task(), make_user()) == ("这项任务不开放领取。", None)
    offered = make_task(open_to_claim=True)
    assert refused("claim", offered, make_user(station=make_station())) == ("这项任务不开放领取。", None)
    assert refused("claim", offered, make_user(active=False)) == ("请选择本驿站在岗的人员。", "assignee_id")
    first = make_user()
    assert act("claim", offered, first) == TaskState.ACCEPTED
    assert refused("claim", offered, make_user()) == ("这项任务已被其他人先领取了。", None)
    cancelled = make_task(open_to_claim=True)
    act("cancel", cancelled, station_admin, "不需要了")
    assert refused("claim", cancelled, make_user()) == ("这项任务已不能领取。", None)


def test_a_finished_task_is_not_opened_to_anyone(make_task, make_user, refused, act, station_admin, app):
    done = make_task(TaskState.DONE, make_user())
    assert refused("set_open_to_claim", done, station_admin, True) == ("这项任务已经结束。", None)
    open_task = make_task()
    act("set_open_to_claim", open_task, station_admin, True)
    with app.app_context():
        assert db.session.get(Task, open_task.id).open_to_claim is True


# Creating a task -----------------------------------------------------------------------------------


def test_a_task_is_for_an_active_resident_of_the_station_in_a_real_window(
    app, make_beneficiary, make_station, station_admin
):
    def create(beneficiary, starts_at, ends_at):
        with app.test_request_context():
            try:
                task = services.create_task(
                    station_id=station_admin.station_id,
                    beneficiary=db.session.get(Beneficiary, beneficiary.id),
                    kind=TaskKind.VISIT,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    created_by=db.session.get(User, station_admin.id),
                )
            except RuleViolation as refusal:
                return refusal.message, refusal.field
            return task.created_by_id, task.state

    start = NOW + timedelta(days=1)
    wrong_resident = ("请选择本驿站正在接受探访的关爱对象。", "beneficiary_id")
    assert (
        create(make_beneficiary(station=make_station()), start, start + timedelta(hours=1)) == wrong_resident
    )
    assert create(make_beneficiary(active=False), start, start + timedelta(hours=1)) == wrong_resident
    assert create(make_beneficiary(), start, start) == ("结束时间必须晚于开始时间。", "ends_at")
    assert create(make_beneficiary(), start, start + timedelta(minutes=1)) == (
        station_admin.id,
        TaskState.OPEN,
    )
