"""Many staff make a task of one request at the same instant: exactly one task is made.

A real HTTP server on the test database (a SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), one thread and one connection per staff member.
"""

from collections import Counter

from scheduler.models import Beneficiary, RequestState, Role, ServiceRequest, Task
from tests.live_server import HttpSession, all_at_once, serve
from tests.menu.conftest import count_rows, load
from tests.requests_to_tasks.conftest import HTMX, task_form

STAFF = 24


def test_simultaneous_tasks_from_one_request_make_exactly_one(app, make_user, make_service, make_request):
    service_request = make_request(make_service("送药上门"), resident_name="钱凤英")
    staff = [make_user(Role.COORDINATOR if number % 2 else Role.ADMIN) for number in range(STAFF)]
    url = f"/requests/{service_request.id}/task"
    with serve(app) as base_url:
        sessions = all_at_once([lambda m=member: HttpSession(base_url).login(m.username) for member in staff])
        # Half with htmx, half as plain forms: the same rule answers both.
        answers = all_at_once(
            [
                lambda s=session, n=number: s.post(url, task_form(), headers=HTMX if n % 2 else None)
                for number, session in enumerate(sessions)
            ]
        )

    statuses = Counter(answer.status for answer in answers)
    winners = statuses[200] + statuses[302]
    assert winners == 1 and statuses[409] == STAFF - 1, statuses
    assert not any("database is locked" in answer.body for answer in answers)
    for answer in answers:
        if answer.status == 409:
            assert "这项请求已经转为任务，页面已显示该任务。" in answer.body
    assert count_rows(app, Task) == 1 and count_rows(app, Beneficiary) == 1
    stored = load(app, ServiceRequest, service_request.id)
    winner = next(
        member for member, answer in zip(staff, answers, strict=True) if answer.status in (200, 302)
    )
    assert stored.state == RequestState.SCHEDULED and stored.handled_by_id == winner.id
