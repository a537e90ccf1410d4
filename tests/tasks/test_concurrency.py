"""Many volunteers claim one "anyone may take" task at the same instant: exactly one gets it.

A real HTTP server on the test database (a SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), one thread and one connection per volunteer.
"""

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Role, Task, TaskEvent, TaskState
from tests.live_server import HttpSession, all_at_once, serve

CLAIMANTS = 24


def test_simultaneous_claims_of_one_task_have_exactly_one_winner(app, make_user, make_task):
    volunteers = [make_user(Role.VOLUNTEER) for _ in range(CLAIMANTS)]
    task = make_task(open_to_claim=True)
    with serve(app) as base_url:
        sessions = all_at_once([lambda v=v: HttpSession(base_url).login(v.username) for v in volunteers])
        answers = all_at_once(
            [lambda s=s: s.post(f"/tasks/{task.id}/claim", headers={"HX-Request": "true"}) for s in sessions]
        )

    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] + [409] * (CLAIMANTS - 1), statuses
    assert not any("database is locked" in answer.body for answer in answers)
    winner_index = next(i for i, answer in enumerate(answers) if answer.status == 200)
    for answer in answers:
        if answer.status == 409:
            assert "这项任务已被其他人先领取了。" in answer.body
    with app.app_context():
        claimed = db.session.get(Task, task.id)
        assert (claimed.state, claimed.assignee_id) == (TaskState.ACCEPTED, volunteers[winner_index].id)
        assignments = db.session.scalar(
            sa.select(sa.func.count()).where(
                TaskEvent.task_id == task.id, TaskEvent.to_state == TaskState.ASSIGNED
            )
        )
        assert assignments == 1
