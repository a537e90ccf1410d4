"""CSRF on, as in production: each blueprint's forms, sent exactly as the page renders them, succeed.

``submit_form`` sends only what the page carries, its CSRF token included; so a form template
that loses its ``csrf_token`` fails here with a 400, and so does a page whose htmx requests
would carry no token. A post without any token is refused (``test_security.py``).
"""

import re

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import (
    Beneficiary,
    BoardListing,
    Building,
    Notice,
    Role,
    Service,
    ServiceCategory,
    ServiceRequest,
    Shift,
    Station,
    Task,
    User,
)
from tests.conftest import TEST_PASSWORD, persist
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
from tests.forms import submit_form
from tests.test_access import records  # noqa: F401 (fixture)


def count(model, *criteria):
    return lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*criteria))


# blueprint: (role, page, changes, form, button, (count before, count after) of what the submit saves)
FORMS = {
    "auth": (None, "/auth/login", {"username": "{username}", "password": TEST_PASSWORD}, None, None, None),
    "main": (Role.VOLUNTEER, "/me", {}, "/language", "language=en", None),
    "me": (Role.VOLUNTEER, "/me", {}, "/me/notices/{notice_id}/dismiss", None, None),
    "board": (Role.VOLUNTEER, "/me/board", {"listed": "y"}, None, None, (BoardListing, None, None)),
    "menu": (
        Role.COORDINATOR,
        "/menu/services/new",
        {"category_id": "{category_id}", "title": "理发", "summary": "上门理发"},
        None,
        None,
        (Service, 1, 2),
    ),
    "people": (
        Role.ADMIN,
        "/people/new",
        {"username": "wang.fang", "display_name": "王芳"},
        None,
        None,
        (User, None, None),
    ),
    "requests": (
        Role.COORDINATOR,
        "/requests/new?service={service_id}",
        {
            "resident_name": "张桂兰",
            "building_id": "{building_id}",
            "unit_room": "3单元101",
            "phone": "13812345678",
        },
        None,
        None,
        (ServiceRequest, 1, 2),
    ),
    "shifts": (
        Role.ADMIN,
        "/shifts/new",
        {"title": "周末值班", "location": "驿站", "day": "2031-03-08", "start": "09:00", "end": "11:00"},
        None,
        None,
        (Shift, 1, 2),
    ),
    "tasks": (
        Role.COORDINATOR,
        "/tasks/new?beneficiary={beneficiary_id}",
        {"starts_at": "2031-03-04T09:00", "ends_at": "2031-03-04T11:00"},
        None,
        None,
        (Task, None, None),
    ),
    "visits": (
        Role.ADMIN,
        "/beneficiaries/new",
        {
            "name": "赵玉珍",
            "building_id": "{building_id}",
            "unit": "1单元",
            "room": "101",
            "phone": "13900001111",
        },
        None,
        None,
        (Beneficiary, 1, 2),
    ),
    "superadmin": (
        Role.SUPERADMIN,
        "/people/stations/new",
        {"slug": "xinyuan", "name": "新园小区党群驿站", "building_count": "5"},
        None,
        None,
        (Station, None, None),
    ),
}


@pytest.mark.parametrize("blueprint", list(FORMS))
def test_each_blueprints_form_as_rendered_passes_csrf_and_saves(
    app,
    auth,
    station,
    make_user,
    records,  # noqa: F811 (the fixture imported above)
    blueprint,
):
    role, page, changes, form, button, saved = FORMS[blueprint]
    client = auth.login(role) if role else app.test_client()
    holder = make_user(Role.VOLUNTEER, username="holder.one")
    ids = records(holder) | {"username": holder.username}
    with app.app_context():
        ids["building_id"] = db.session.scalar(
            sa.select(Building.id).where(Building.station_id == station.id)
        )
    if blueprint == "me":
        ids["notice_id"] = persist(app, Notice(user_id=client.user.id, text="班次已取消")).id
    fill = {name: value.format(**ids) for name, value in changes.items()}
    model = saved[0] if saved else None
    with app.app_context():
        before = count(model)() if model else None
    response = submit_form(
        client, page.format(**ids), fill, form=form.format(**ids) if form else None, button=button
    )
    errors = re.findall(r'id="([\w-]+)-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    # A new account answers with its invitation slip (shown once); the other forms redirect.
    assert response.status_code == (200 if blueprint == "people" else 302), (response.status_code, errors)
    if model:
        with app.app_context():
            assert count(model)() == before + 1, f"{blueprint}: nothing saved"
    if blueprint == "me":
        with app.app_context():
            assert db.session.get(Notice, ids["notice_id"]).read_at is not None
    if blueprint == "menu":
        with app.app_context():
            assert db.session.scalar(sa.select(ServiceCategory.id)) is not None
