"""Many people acting on one request at once: exactly one wins, nobody gets a 500."""

from collections import Counter

from scheduler.models import RequestState, Role, ServiceRequest
from tests.live_server import HttpSession, all_at_once, serve
from tests.menu.conftest import load

PEOPLE = 20


def test_twenty_staff_accepting_one_request_make_one_winner(app, make_user, make_service, make_request):
    service_request = make_request(make_service())
    staff = [make_user(Role.COORDINATOR if number % 2 else Role.ADMIN) for number in range(PEOPLE)]
    with serve(app) as base_url:
        sessions = [HttpSession(base_url).login(member.username) for member in staff]
        answers = all_at_once(
            [
                lambda session=session: session.post(
                    f"/requests/{service_request.id}/accept", headers={"HX-Request": "true"}
                )
                for session in sessions
            ]
        )
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {200: 1, 409: PEOPLE - 1}, statuses
    assert not any("database is locked" in answer.body for answer in answers)
    stored = load(app, ServiceRequest, service_request.id)
    winner = next(member for member, answer in zip(staff, answers, strict=True) if answer.status == 200)
    assert stored.state == RequestState.ACCEPTED and stored.handled_by_id == winner.id


def test_twenty_ratings_at_once_keep_exactly_one(app, make_service, make_request):
    service_request = make_request(make_service(), state=RequestState.DONE)
    url = f"/r/{service_request.follow_token}/rating"
    with serve(app) as base_url:
        answers = all_at_once(
            [
                lambda stars=1 + number % 5: HttpSession(base_url).post(url, {"rating": str(stars)})
                for number in range(PEOPLE)
            ]
        )
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {302: 1, 409: PEOPLE - 1}, statuses
    winner = next(number for number, answer in enumerate(answers) if answer.status == 302)
    assert load(app, ServiceRequest, service_request.id).rating == 1 + winner % 5
