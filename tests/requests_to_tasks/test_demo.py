"""The demo inbox has requests that became tasks, in different states; seeding again adds none."""

import sqlalchemy as sa

from scheduler.demo import DEFAULT_DEMO_PASSWORD, seed_demo
from scheduler.extensions import db
from scheduler.models import RequestState, ServiceRequest, Task, TaskState


def linked() -> list[tuple[str, RequestState, TaskState]]:
    return list(
        db.session.execute(
            sa.select(ServiceRequest.reference, ServiceRequest.state, Task.state)
            .join(Task, Task.service_request_id == ServiceRequest.id)
            .order_by(ServiceRequest.reference)
        ).all()
    )


def test_demo_requests_made_tasks_follow_them_and_are_seeded_once(app, demo):
    with app.app_context():  # as the CLI runs it: no request
        first = linked()
        seed_demo(DEFAULT_DEMO_PASSWORD)
        assert linked() == first
        assert {task_state for _, _, task_state in first} >= {
            TaskState.OPEN,
            TaskState.ACCEPTED,
            TaskState.DONE,
        }
        for _, request_state, task_state in first:
            assert request_state == (
                RequestState.DONE if task_state == TaskState.DONE else RequestState.SCHEDULED
            )
        done = db.session.scalar(sa.select(ServiceRequest).where(ServiceRequest.reference == "DEMR3S"))
        assert done.may_be_rated
        token = done.follow_token
    html = app.test_client().get(f"/r/{token}").get_data(as_text=True)
    assert "师傅已于" in html and "提交评价" in html
