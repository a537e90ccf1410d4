"""Staff pages that show people's names, phones or addresses are kept out of every cache.

``Cache-Control: no-store`` keeps them out of the browser's back-forward cache and of any
proxy, so that the next person on a shared phone or computer cannot page back to them.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.database import utcnow
from scheduler.models import Assignment, AssignmentState, Role, Service, ServiceCategory, Shift, ShiftKind
from tests.conftest import persist

VOLUNTEER_NAME = "刘志强"


@pytest.fixture
def data(app, station, make_user):
    volunteer = make_user(Role.VOLUNTEER, display_name=VOLUNTEER_NAME)
    category = persist(app, ServiceCategory(station_id=station.id, name="上门服务", sort_order=1))
    service = persist(
        app,
        Service(
            station_id=station.id,
            category_id=category.id,
            title="送药上门",
            contact_name=VOLUNTEER_NAME,
            contact_phone="13900001234",
            sort_order=1,
        ),
    )
    starts_at = utcnow() + timedelta(days=1)
    shift = persist(
        app,
        Shift(
            station_id=station.id,
            title="驿站值班",
            location="先锋驿站",
            capacity=2,
            kind=ShiftKind.DUTY,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
        ),
    )
    persist(
        app,
        Assignment(
            station_id=station.id, shift_id=shift.id, user_id=volunteer.id, state=AssignmentState.CONFIRMED
        ),
    )
    # Attendance is taken once a shift has started; before, its page shows no one.
    started = persist(
        app,
        Shift(
            station_id=station.id,
            title="驿站值班",
            location="先锋驿站",
            capacity=2,
            kind=ShiftKind.DUTY,
            starts_at=utcnow() - timedelta(days=2),
            ends_at=utcnow() - timedelta(days=2) + timedelta(hours=2),
        ),
    )
    persist(
        app,
        Assignment(
            station_id=station.id, shift_id=started.id, user_id=volunteer.id, state=AssignmentState.CONFIRMED
        ),
    )
    local_day = starts_at.astimezone(ZoneInfo(app.config["TIMEZONE"])).date()
    return dict(
        started=started.id,
        volunteer=volunteer.id,
        service=service.id,
        shift=shift.id,
        week=(local_day - timedelta(days=local_day.weekday())).isoformat(),
        month=local_day.strftime("%Y-%m"),
    )


STAFF_PAGES_WITH_PERSONAL_DATA = [
    # (who, address, a personal datum the page shows)
    (Role.ADMIN, "/people/", VOLUNTEER_NAME),
    (Role.ADMIN, "/people/{volunteer}/edit", "13900001234"[:3]),
    (Role.ADMIN, "/people/{volunteer}/board", VOLUNTEER_NAME),
    (Role.VOLUNTEER, "/me/board", None),
    (Role.ADMIN, "/menu/", VOLUNTEER_NAME),
    (Role.ADMIN, "/menu/services/{service}", VOLUNTEER_NAME),
    (Role.ADMIN, "/menu/services/{service}/edit", "13900001234"),
    (Role.ADMIN, "/shifts/{shift}", VOLUNTEER_NAME),
    (Role.ADMIN, "/shifts/{shift}/picker", VOLUNTEER_NAME),
    (Role.ADMIN, "/shifts/{started}/attendance", VOLUNTEER_NAME),
    (Role.ADMIN, "/shifts/week/{week}", VOLUNTEER_NAME),
    (Role.ADMIN, "/shifts/week/{week}/roster", VOLUNTEER_NAME),
    (Role.ADMIN, "/shifts/people", VOLUNTEER_NAME),
    (Role.COORDINATOR, "/shifts/", VOLUNTEER_NAME),
    (Role.ADMIN, "/reports/{month}", None),
    (Role.COORDINATOR, "/reports/", None),
    (Role.ADMIN, "/requests", None),
    (Role.ADMIN, "/beneficiaries/", None),
    (Role.ADMIN, "/beneficiaries/access-log", None),
    (Role.ADMIN, "/tasks/", None),
    (Role.SUPERADMIN, "/people/stations", None),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("role", "path", "shown"), STAFF_PAGES_WITH_PERSONAL_DATA)
def test_staff_pages_with_personal_data_are_never_cached(auth, data, role, path, shown, htmx):
    client = auth.login(role)
    response = client.get(path.format(**data), headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 200
    if shown and not htmx:
        assert shown in response.get_data(as_text=True), "the page does show personal data"
    assert response.headers.get("Cache-Control") == "no-store"
