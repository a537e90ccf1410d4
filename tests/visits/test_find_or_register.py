"""Finding the resident who asked for help herself, or registering her with just what she gave."""

import logging

import pytest

from scheduler.extensions import db
from scheduler.models import Beneficiary
from scheduler.visits.services import find_or_register
from tests.factories_visits import building_of

ASKED = {"name": "王秀英", "building": 1, "unit": "1单元", "room": "101"}


def find(station, *, building: int = 1, **details) -> Beneficiary:
    """find_or_register as a resident's request calls it (inside an app context)."""
    beneficiary = find_or_register(
        station_id=station.id, building_id=building_of(station, building).id, **details
    )
    db.session.commit()
    return beneficiary


@pytest.mark.parametrize(
    "differs",
    [{"name": "王秀兰"}, {"building": 2}, {"unit": "2单元"}, {"room": "102"}],
    ids=["name", "building", "unit", "room"],
)
def test_a_resident_differing_in_one_detail_is_someone_else(app, station, make_beneficiary, differs):
    neighbour = make_beneficiary(**{**ASKED, **differs})
    with app.app_context():
        found = find(station, **ASKED)
        assert found.id != neighbour.id
        assert (found.name, found.building_id, found.unit, found.room) == (
            "王秀英",
            building_of(station, 1).id,
            "1单元",
            "101",
        )
        assert db.session.query(Beneficiary).count() == 2


def test_the_same_resident_is_found_again(app, station, make_beneficiary):
    resident = make_beneficiary(**ASKED)
    with app.app_context():
        assert find(station, **ASKED).id == resident.id
        assert db.session.query(Beneficiary).count() == 1


def test_details_she_did_not_give_are_left_blank(app, station):
    with app.app_context():
        resident = find(station, name="王秀英")
        assert (resident.unit, resident.room, resident.phone) == ("", "", "")
        assert not resident.active


def test_a_new_record_is_logged_by_id_only(app, station, make_beneficiary, caplog):
    make_beneficiary(**ASKED)
    with app.app_context(), caplog.at_level(logging.INFO, logger="scheduler.visits"):
        found_again = find(station, **ASKED)
        newcomer = find(station, name="李桂兰", phone="13800001111")
        ids = found_again.id, newcomer.id
    assert caplog.messages == [f"beneficiary {ids[1]} recorded from a resident's request, not in care"]
    assert ids[0] != ids[1]
