"""The task life cycle: random actions by random people never break it, and history tells the truth.

A small model of the rules (who may do what, from which state, with what result) is
written out below independently of the services; hypothesis drives random sequences
of actions through the real services and compares each outcome with the model.
"""

from itertools import pairwise

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scheduler.extensions import db
from scheduler.models import TRANSITIONS, Health, Role, Task, TaskEvent, TaskState, User, VisitRecord
from scheduler.rules import RuleViolation
from scheduler.tasks import services
from scheduler.tasks.services import Checklist

S = TaskState
STAFF = ("admin", "coordinator")
VOLUNTEERS = ("holder", "other_volunteer")
ACTORS = (*STAFF, *VOLUNTEERS, "outsider_admin")
ACTIONS = (
    "assign_holder",
    "assign_other",
    "accept",
    "decline",
    "complete",
    "cancel",
    "reopen",
    "claim",
    "toggle_claim",
)
REFUSED = None


def model(state: TaskState, assignee: str | None, claimable: bool, action: str, actor: str):
    """What the rules say happens next: (state, assignee, claimable), or REFUSED."""
    staff = actor in STAFF  # the outsider is an admin, but of another station
    final = state in (S.DONE, S.CANCELLED)
    held = state in (S.ASSIGNED, S.ACCEPTED)
    if action in ("assign_holder", "assign_other"):
        target = "holder" if action == "assign_holder" else "other_volunteer"
        if not staff or final or (held and assignee == target):
            return REFUSED
        return (S.ASSIGNED, target, claimable)
    if action == "accept":
        return (S.ACCEPTED, assignee, claimable) if actor == assignee and state == S.ASSIGNED else REFUSED
    if action == "decline":
        return (S.DECLINED, None, claimable) if held and (actor == assignee or staff) else REFUSED
    if action == "complete":
        return (S.DONE, assignee, claimable) if actor == assignee and state == S.ACCEPTED else REFUSED
    if action == "cancel":
        return (S.CANCELLED, None, claimable) if staff and not final else REFUSED
    if action == "reopen":
        return (S.OPEN, None, claimable) if staff and state == S.DECLINED else REFUSED
    if action == "claim":
        ok = claimable and state == S.OPEN and actor != "outsider_admin"
        return (S.ACCEPTED, actor, claimable) if ok else REFUSED
    if action == "toggle_claim":
        return (state, assignee, not claimable) if staff and not final else REFUSED
    raise AssertionError(action)


def perform(action: str, task: Task, actor: User, people: dict[str, User]) -> None:
    if action == "assign_holder":
        services.assign(task, people["holder"], actor)
    elif action == "assign_other":
        services.assign(task, people["other_volunteer"], actor)
    elif action == "accept":
        services.accept(task, actor)
    elif action == "decline":
        services.decline(task, actor, "家里有事")
    elif action == "complete":
        services.complete(task, actor, Checklist(Health.FOLLOW_UP, safety_hazard=True), "需要复查", 25)
    elif action == "cancel":
        services.cancel(task, actor, "老人住院了")
    elif action == "reopen":
        services.reopen(task, actor)
    elif action == "claim":
        services.claim(task, actor)
    elif action == "toggle_claim":
        services.set_open_to_claim(task, actor, not task.open_to_claim)


def assert_invariants(task_id: int) -> None:
    task = db.session.get(Task, task_id)
    assert task.state in TaskState
    assert (task.assignee_id is not None) == (task.state in (S.ASSIGNED, S.ACCEPTED, S.DONE))
    records = db.session.scalar(sa.select(sa.func.count()).where(VisitRecord.task_id == task_id))
    assert records == (1 if task.state == S.DONE else 0)
    events = db.session.scalars(
        sa.select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.at, TaskEvent.id)
    ).all()
    assert (events[0].from_state, events[0].to_state) == (None, S.OPEN)
    for before, after in pairwise(events):
        assert after.from_state == before.to_state, "history is one unbroken chain"
        assert after.to_state in TRANSITIONS[after.from_state], "every recorded move is a legal one"
        if after.to_state == S.ASSIGNED:
            assert after.assignee_id is not None
    assert events[-1].to_state == task.state, "history ends where the task is"


@pytest.fixture
def people(make_user, make_station, station_admin):
    other_station = make_station()
    return {
        "admin": station_admin,
        "coordinator": make_user(Role.COORDINATOR),
        "holder": make_user(Role.VOLUNTEER),
        "other_volunteer": make_user(Role.VOLUNTEER),
        "outsider_admin": make_user(Role.ADMIN, station=other_station),
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(ACTORS)), max_size=14))
# Always tried, whatever hypothesis draws: the moves a small slip in TRANSITIONS would allow.
@example(steps=[("assign_holder", "admin"), ("complete", "holder")])  # done before accepting
@example(steps=[("assign_holder", "admin"), ("accept", "holder"), ("complete", "holder")])
@example(steps=[("complete", "holder"), ("claim", "holder"), ("toggle_claim", "admin"), ("claim", "holder")])
@example(
    steps=[("assign_holder", "admin"), ("decline", "holder"), ("complete", "holder"), ("reopen", "admin")]
)
@example(
    steps=[("assign_holder", "admin"), ("accept", "holder"), ("complete", "holder"), ("cancel", "admin")]
)
@example(steps=[("cancel", "admin"), ("reopen", "admin"), ("assign_holder", "admin")])
@example(steps=[("assign_holder", "admin"), ("assign_other", "admin"), ("accept", "holder")])
def test_random_actions_by_random_people_follow_the_rules(app, people, make_task, steps):
    task = make_task()
    names = {user.id: name for name, user in people.items()}
    state, assignee, claimable = S.OPEN, None, False
    with app.test_request_context():
        for action, actor_name in steps:
            expected = model(state, assignee, claimable, action, actor_name)
            events_before = db.session.scalar(sa.select(sa.func.count()).where(TaskEvent.task_id == task.id))
            db.session.expire_all()
            current = db.session.get(Task, task.id)
            bound = {name: db.session.get(User, user.id) for name, user in people.items()}
            try:
                perform(action, current, bound[actor_name], bound)
            except RuleViolation as violation:
                db.session.rollback()
                assert expected is REFUSED, f"{actor_name} {action} in {state}: refused ({violation.message})"
                events_after = db.session.scalar(
                    sa.select(sa.func.count()).where(TaskEvent.task_id == task.id)
                )
                assert events_after == events_before, "a refused action leaves no trace"
            else:
                assert expected is not REFUSED, f"{actor_name} {action} in {state} should be refused"
                state, assignee, claimable = expected
            db.session.expire_all()
            actual = db.session.get(Task, task.id)
            assert actual.state == state
            assert names.get(actual.assignee_id) == assignee
            assert actual.open_to_claim == claimable
            assert_invariants(task.id)


@pytest.mark.parametrize(
    "state, action, message",
    [
        (S.DONE, "cancel", "这项任务当前为“已完成”，不能变为“已取消”。"),
        (S.CANCELLED, "assign_holder", "这项任务当前为“已取消”，不能变为“已指派，待接受”。"),
        (S.OPEN, "reopen", "这项任务当前为“待分配”，不能变为“待分配”。"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(app, make_task, people, state, action, message):
    task = make_task(state=state, assignee=people["holder"])
    with app.test_request_context():
        bound = {name: db.session.get(User, user.id) for name, user in people.items()}
        with pytest.raises(RuleViolation) as refused:
            perform(action, db.session.get(Task, task.id), bound["admin"], bound)
    assert refused.value.message == message
