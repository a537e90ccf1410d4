"""Who may open which shift page: every route for every role, anonymous, and across stations."""

import pytest
import sqlalchemy as sa

from scheduler.models import AssignmentState, CalendarFeed, Role
from tests.shifts.conftest import HTMX, days_from_now


@pytest.fixture
def records(make_shift, make_user, place):
    """A shift with an assignment, one in the past, and the same in another station."""
    shift = make_shift(starts_at=days_from_now(3))
    past = make_shift(starts_at=days_from_now(-2))
    assignment = place(shift, make_user(), AssignmentState.CONFIRMED)
    return {"shift": shift.id, "past": past.id, "assignment": assignment.id}


STAFF_PAGES = [
    "/shifts/",
    "/shifts/week/2026-03-02",
    "/shifts/week/2026-03-02/roster",
    "/shifts/new",
    "/shifts/series/new",
    "/shifts/people",
    "/shifts/{shift}",
    "/shifts/{shift}/picker",
    "/shifts/{shift}/edit",
    "/shifts/{shift}/cancel",
    "/shifts/{past}/attendance",
]
STAFF_ACTIONS = [
    "/shifts/{shift}/assign",
    "/shifts/assignments/{assignment}/remove",
    "/shifts/week/2026-03-02/copy",
]
PERSONAL_ACTIONS = [
    "/shifts/{shift}/signup",
    "/shifts/{shift}/waitlist",
    "/shifts/{shift}/waitlist/leave",
    "/shifts/assignments/{assignment}/confirm",
    "/shifts/assignments/{assignment}/decline",
    "/shifts/assignments/{assignment}/withdraw",
    "/shifts/assignments/{assignment}/offer",
    "/shifts/assignments/{assignment}/keep",
    "/shifts/assignments/{assignment}/take",
    "/shifts/feed",
]


EXPECTED_FOR_STAFF_PAGES = {Role.ADMIN: 200, Role.COORDINATOR: 200, Role.VOLUNTEER: 403, Role.SUPERADMIN: 403}


@pytest.fixture
def client_per_role(auth):
    return {role: auth.login(role) for role in EXPECTED_FOR_STAFF_PAGES}


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_per_role(client_per_role, records, path):
    url = path.format(**records)
    answers = {role: client.get(url).status_code for role, client in client_per_role.items()}
    assert answers == EXPECTED_FOR_STAFF_PAGES


@pytest.mark.parametrize("path", STAFF_PAGES + STAFF_ACTIONS + PERSONAL_ACTIONS)
def test_anonymous_visitors_are_sent_to_sign_in(client, records, path):
    url = path.format(**records)
    method = client.post if path in STAFF_ACTIONS + PERSONAL_ACTIONS else client.get
    response = method(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert method(url, headers=HTMX).status_code == 401


@pytest.mark.parametrize("path", STAFF_ACTIONS)
@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.SUPERADMIN])
def test_staff_actions_are_refused_to_others(auth, records, path, role):
    assert auth.login(role).post(path.format(**records)).status_code == 403


@pytest.mark.parametrize("path", PERSONAL_ACTIONS)
def test_street_office_administrators_have_no_shifts(superadmin_client, records, path):
    assert superadmin_client.post(path.format(**records)).status_code == 403


@pytest.mark.parametrize(
    "path",
    [p for p in STAFF_PAGES if "{" in p] + [p for p in STAFF_ACTIONS if "{" in p],
)
def test_another_stations_staff_get_404(auth, make_station, make_user, records, path):
    elsewhere = make_station()
    client = auth.login(user=make_user(Role.ADMIN, station=elsewhere))
    url = path.format(**records)
    response = client.post(url) if path in STAFF_ACTIONS else client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", ["/shifts/{shift}/signup", "/shifts/{shift}/waitlist", "/shifts/assignments/{assignment}/take"]
)
def test_another_stations_volunteers_get_404(auth, make_station, make_user, records, path):
    client = auth.login(user=make_user(Role.VOLUNTEER, station=make_station()))
    assert client.post(path.format(**records)).status_code == 404


def test_another_stations_shifts_are_not_on_the_board_or_on_me(auth, make_station, make_user, make_shift):
    elsewhere = make_station()
    make_shift(station=elsewhere, title="别的驿站的班")
    admin = auth.login(Role.ADMIN)
    volunteer = auth.login(Role.VOLUNTEER)
    assert "别的驿站的班" not in admin.get("/shifts/").get_data(as_text=True)
    assert "别的驿站的班" not in admin.get("/shifts/week/" + days_from_now(1).date().isoformat()).get_data(
        as_text=True
    )
    assert "别的驿站的班" not in volunteer.get("/me").get_data(as_text=True)


def test_showing_my_page_does_not_make_a_feed_address(volunteer_client, read):
    volunteer_client.get("/me")
    assert read(lambda s: s.scalar(sa.select(sa.func.count(CalendarFeed.id)))) == 0
