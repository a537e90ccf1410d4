"""The register's "overdue" filter: combined with the others, and at the very instant a visit falls due."""

import time_machine

from scheduler.database import utcnow
from tests.factories_visits import building_of

HTMX = {"HX-Request": "true"}


def listed(client, query: str, names: tuple[str, ...]) -> set[str]:
    html = client.get(f"/beneficiaries/?{query}", headers=HTMX).get_data(as_text=True)
    return {name for name in names if name in html}


def test_overdue_and_a_building_together_list_only_that_buildings_overdue(
    app, admin_client, station, make_beneficiary
):
    make_beneficiary(name="一号楼老人", building=1, visit_every_days=7)
    make_beneficiary(name="二号楼老人", building=2, visit_every_days=7)
    with app.app_context():
        building_one = building_of(station, 1).id
    names = ("一号楼老人", "二号楼老人")
    assert listed(admin_client, "overdue=y", names) == set(names)
    assert listed(admin_client, f"building_id={building_one}&overdue=y", names) == {"一号楼老人"}


def test_a_resident_never_visited_is_overdue_from_the_moment_she_is_registered(
    admin_client, make_beneficiary
):
    with time_machine.travel(utcnow(), tick=False):
        make_beneficiary(name="新登记老人", visit_every_days=7)
        assert listed(admin_client, "overdue=y", ("新登记老人",)) == {"新登记老人"}
