"""Fixtures for the public board: people of a station with and without consent."""

# Fixtures of other areas are imported here; the tests name them as arguments.

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Building, Kind, Role, User
from tests.conftest import persist  # noqa: F401
from tests.factories_visits import make_beneficiary  # noqa: F401
from tests.menu.conftest import make_category, make_request, make_service  # noqa: F401
from tests.reports.conftest import make_done_task  # noqa: F401
from tests.shifts.conftest import make_shift, place  # noqa: F401

BOARD = "/s/haiyuan-lidu/board"


def building_id(app, station, name: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(Building.id).where(Building.station_id == station.id, Building.name == name)
        )


def board_html(client) -> str:
    response = client.get(BOARD)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def head(app, station, make_user) -> User:
    """The head of building 2, who has not said yet whether to be listed."""
    return make_user(
        display_name="张桂兰",
        kind=Kind.BUILDING_HEAD,
        building_id=building_id(app, station, "2号楼"),
        phone="13912345678",
    )


@pytest.fixture
def party_member(make_user) -> User:
    return make_user(display_name="李德明", kind=Kind.PARTY_MEMBER, phone="13800001111")


@pytest.fixture
def listed(app):
    """``listed(user, phone=False)``: consent given as the person would on /me."""
    from scheduler.board.services import set_board_consent

    def give(user: User, phone: bool = False, by: User | None = None) -> None:
        with app.app_context():
            person = db.session.get(User, user.id)
            recorder = db.session.get(User, by.id) if by else person
            set_board_consent(person, by=recorder, listed=True, show_phone=phone)

    return give


@pytest.fixture
def head_client(auth, head):
    return auth.login(user=head)


@pytest.fixture
def secretary(make_user) -> User:
    return make_user(Role.ADMIN, display_name="王书记")


@pytest.fixture
def secretary_client(auth, secretary):
    return auth.login(user=secretary)
