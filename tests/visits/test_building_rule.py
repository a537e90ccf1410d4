"""A resident is recorded only in a building of the station that records her."""

import pytest

from scheduler.extensions import db
from scheduler.models import Beneficiary
from scheduler.rules import RuleViolation
from scheduler.visits.services import find_or_register
from tests.factories_visits import building_of


@pytest.mark.parametrize("building", ["another station's", "no longer there"])
def test_a_resident_is_recorded_only_in_a_building_of_this_station(app, station, make_station, building):
    """The forms offer only the station's buildings; the service refuses others for any other caller."""
    elsewhere = make_station()
    with app.test_request_context():
        building_id = building_of(elsewhere, 1).id if building == "another station's" else 999_999
        with pytest.raises(RuleViolation) as refusal:
            find_or_register(station_id=station.id, name="王秀英", building_id=building_id)
        assert (refusal.value.message, refusal.value.field) == ("请选择本驿站的楼栋。", "building_id")
        assert db.session.query(Beneficiary).count() == 0
