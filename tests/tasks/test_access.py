"""Every route of the home-visit areas, for every role, an anonymous visitor and another station."""

import re

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Beneficiary, Health, Role, Task, TaskState, User, VisitRecord
from scheduler.tasks import planning, services
from scheduler.tasks.services import Checklist
from scheduler.visits.services import BeneficiaryFilter

ROLES = ("anonymous", "volunteer", "coordinator", "admin", "superadmin", "outsider")


@pytest.fixture
def world(app, auth, make_user, make_station, make_beneficiary, make_task, station_admin):
    """One station's records, and a client for each kind of visitor."""
    holder = make_user(Role.VOLUNTEER)
    resident = make_beneficiary(visit_every_days=7)
    held = make_task(TaskState.ACCEPTED, holder, resident)
    done = make_task(TaskState.ACCEPTED, holder, resident)
    with app.test_request_context():
        services.complete(
            db.session.get(Task, done.id),
            db.session.get(User, holder.id),
            Checklist(Health.FOLLOW_UP),
            "需要复查",
            10,
        )
        batch = planning.check_all(
            station_id=resident.station_id,
            actor=db.session.get(User, station_admin.id),
            title="普查",
            selection=BeneficiaryFilter(),
            kind="other",  # the resident has an open visit already, which a check-all skips
            starts_at=held.starts_at,
            ends_at=held.ends_at,
        )
        record_id = db.session.scalar(sa.select(VisitRecord.id))
        batch_id = batch.id
    clients = {
        "anonymous": app.test_client(),
        "volunteer": auth.login(Role.VOLUNTEER),
        "coordinator": auth.login(Role.COORDINATOR),
        "admin": auth.login(Role.ADMIN),
        "superadmin": auth.login(Role.SUPERADMIN),
        "outsider": auth.login(Role.ADMIN, station=make_station()),
    }
    ids = dict(beneficiary=resident.id, task=held.id, batch=batch_id, record=record_id)
    return clients, ids


LOGIN = 302
# expected status per role, in the order of ROLES
STAFF_LIST = (LOGIN, 403, 200, 200, 403, 200)
STAFF_RECORD = (LOGIN, 403, 200, 200, 403, 404)
ADMIN_ONLY = (LOGIN, 403, 403, 200, 403, 200)

GET_ROUTES = [
    ("/beneficiaries/", STAFF_LIST),
    ("/beneficiaries/new", STAFF_LIST),
    ("/beneficiaries/{beneficiary}", STAFF_RECORD),
    ("/beneficiaries/{beneficiary}/edit", STAFF_RECORD),
    ("/beneficiaries/access-log", ADMIN_ONLY),
    ("/tasks/", STAFF_LIST),
    ("/tasks/all", STAFF_LIST),
    ("/tasks/new", STAFF_LIST),
    ("/tasks/check-all/new", STAFF_LIST),
    ("/tasks/check-all/{batch}", STAFF_RECORD),
    ("/tasks/{task}", (LOGIN, 404, 200, 200, 403, 404)),
]


def test_get_routes_for_every_role(world):
    # One world for the whole table: building it (six sign-ins) costs more than the requests.
    clients, ids = world
    for path, expected in GET_ROUTES:
        for role, status in zip(ROLES, expected, strict=True):
            response = clients[role].get(path.format(**ids))
            assert response.status_code == status, f"{role} GET {path}"
            if status == LOGIN:
                assert response.headers["Location"].startswith("/auth/login")


STAFF_ACTION = (LOGIN, 403, None, None, 403, 404)
HOLDER_ACTION = (LOGIN, 404, None, None, 403, 404)

POST_ROUTES = [
    ("/tasks/{task}/assign", STAFF_ACTION),
    ("/tasks/{task}/cancel", STAFF_ACTION),
    ("/tasks/{task}/reopen", STAFF_ACTION),
    ("/tasks/{task}/open-to-claim", STAFF_ACTION),
    ("/tasks/flags/{record}/handled", STAFF_ACTION),
    ("/tasks/{task}/accept", HOLDER_ACTION),
    ("/tasks/{task}/decline", HOLDER_ACTION),
    ("/tasks/{task}/done", HOLDER_ACTION),
    ("/tasks/{task}/claim", (LOGIN, 404, 404, 404, 403, 404)),  # not offered to anyone
    ("/tasks/generate-visits", (LOGIN, 403, None, None, 403, None)),
    ("/beneficiaries/new", (LOGIN, 403, None, None, 403, None)),
    ("/beneficiaries/{beneficiary}/edit", STAFF_ACTION),
]


def test_post_routes_refuse_whoever_may_not_act(world):
    """None: the role may act; what it gets then (done, refused by a rule…) is tested elsewhere."""
    clients, ids = world
    for path, expected in POST_ROUTES:
        for role, status in zip(ROLES, expected, strict=True):
            response = clients[role].post(path.format(**ids), data={})
            if status is None:
                assert response.status_code < 500, f"{role} {path}"
                assert response.status_code not in (401, 403, 404), f"{role} {path}"
            else:
                assert response.status_code == status, f"{role} POST {path}"


def test_an_expired_session_on_an_htmx_request_gets_401_and_a_redirect_header(world):
    clients, ids = world
    response = clients["anonymous"].post(f"/tasks/{ids['task']}/accept", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/auth/login"


def test_no_personal_data_in_any_address_the_pages_link_to(world, app):
    clients, ids = world
    with app.app_context():
        resident = db.session.get(Beneficiary, ids["beneficiary"])
        secrets = (resident.name, resident.phone, resident.room)
    for path, _expected in GET_ROUTES:
        html = clients["admin"].get(path.format(**ids)).get_data(as_text=True)
        for link in re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', html):
            # A stylesheet's content hash may happen to contain a room number ("104").
            if link.startswith(("tel:", "/static/")):
                continue
            assert not any(secret in link for secret in secrets), link
