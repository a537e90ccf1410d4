"""The register of residents in care: staff only, minimum exposure, every view recorded."""

import logging
import re
from datetime import timedelta

import pytest

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Beneficiary, BeneficiaryAccess, Role
from tests.conftest import form_error
from tests.forms import form_on, submit_form

HTMX = {"HX-Request": "true"}


def valid_form(building_id: int, **overrides) -> dict:
    """What a secretary types and ticks on /beneficiaries/new (sent with tests.forms.submit_form)."""
    data = {
        "name": "周桂芳",
        "building_id": str(building_id),
        "unit": "2单元",
        "room": "301",
        "phone": "138 1234 5678",
        "emergency_name": "周丽华",
        "emergency_relation": "女儿",
        "emergency_phone": "13987654321",
        "birth_year": "1941",
        "lives_alone": True,
        "care_notes": "耳背，请大声敲门",
        "visit_every_days": "7",
    }
    data.update(overrides)
    return data


@pytest.fixture
def building_ids(app, station):
    from tests.factories_visits import building_of

    with app.app_context():
        return {number: building_of(station, number).id for number in (1, 2, 3)}


def access_count(app, beneficiary_id: int | None = None) -> int:
    with app.app_context():
        query = db.session.query(BeneficiaryAccess)
        if beneficiary_id is not None:
            query = query.filter_by(beneficiary_id=beneficiary_id)
        return query.count()


def test_staff_register_a_resident_in_care_and_land_on_the_record(app, coordinator_client, building_ids):
    assert "active" not in form_on(coordinator_client, "/beneficiaries/new").names
    response = submit_form(coordinator_client, "/beneficiaries/new", valid_form(building_ids[2]))
    assert response.status_code == 302
    with app.app_context():
        resident = db.session.query(Beneficiary).one()
        assert (resident.name, resident.address, resident.phone) == ("周桂芳", "2号楼2单元301", "13812345678")
        assert resident.lives_alone and resident.visit_every_days == 7
        assert (resident.emergency_name, resident.emergency_relation, resident.emergency_phone) == (
            "周丽华",
            "女儿",
            "13987654321",
        )
        assert (resident.birth_year, resident.care_notes) == (1941, "耳背，请大声敲门")
        assert resident.active, "registered residents receive visits: the form has no box to leave unticked"
        assert resident.visit_due_at is not None, "never visited: due at once"
    assert response.headers["Location"] == f"/beneficiaries/{resident.id}"
    assert "周桂芳" not in response.headers["Location"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "该字段是必填字段。"),
        ("room", "", "该字段是必填字段。"),
        ("phone", "12345", "请填写 11 位手机号，或带区号的固定电话。"),
        ("emergency_phone", "abc", "请填写 11 位手机号，或带区号的固定电话。"),
        ("birth_year", "1850", "请填写 1900 年至今年之间的年份。"),
        ("visit_every_days", "0", None),
        ("care_notes", "x" * 501, None),
        ("name", "王\x07芳", "请删除文字中不可见的控制字符。"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_kept(admin_client, building_ids, field, value, message):
    response = submit_form(admin_client, "/beneficiaries/new", valid_form(building_ids[1], **{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = form_error(html, field)
    assert error
    if message:
        assert error == message
    assert "周丽华" in html or field == "emergency_name", "what was typed is kept"


def test_a_building_of_another_station_is_refused(admin_client, make_station, app):
    from tests.factories_visits import building_of

    other = make_station()
    with app.app_context():
        foreign_building = building_of(other, 1).id
    offered = [
        value
        for value, _chosen in form_on(admin_client, "/beneficiaries/new").named("building_id")[0].options
    ]
    assert str(foreign_building) not in offered
    # A forged post (no browser sends it) is refused next to the field.
    response = admin_client.post(
        "/beneficiaries/new", data={**valid_form(foreign_building), "lives_alone": "y"}
    )
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "building_id")


def test_list_masks_phones_and_filters_by_building_lives_alone_and_overdue(admin_client, make_beneficiary):
    make_beneficiary(name="独居甲", building=1, lives_alone=True, phone="13811112222", visit_every_days=7)
    make_beneficiary(name="同住乙", building=1, lives_alone=False, visit_every_days=None)
    make_beneficiary(name="独居丙", building=2, lives_alone=True, visit_every_days=None)
    everyone = admin_client.get("/beneficiaries/").get_data(as_text=True)
    assert "138****2222" in everyone and "13811112222" not in everyone
    assert all(name in everyone for name in ("独居甲", "同住乙", "独居丙"))

    def names(query: str) -> set[str]:
        html = admin_client.get(f"/beneficiaries/?{query}", headers=HTMX).get_data(as_text=True)
        return {name for name in ("独居甲", "同住乙", "独居丙") if name in html}

    building_one = re.search(r'<option value="(\d+)">1号楼</option>', everyone).group(1)
    assert names(f"building_id={building_one}") == {"独居甲", "同住乙"}
    assert names("lives_alone=y") == {"独居甲", "独居丙"}
    assert names("overdue=y") == {"独居甲"}
    assert names(f"building_id={building_one}&lives_alone=y") == {"独居甲"}
    assert names("building_id=nonsense") == {"独居甲", "同住乙", "独居丙"}


def test_list_fragment_for_htmx_and_whole_page_otherwise(admin_client, make_beneficiary):
    make_beneficiary()
    fragment = admin_client.get("/beneficiaries/?lives_alone=y", headers=HTMX)
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="results"')
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" in admin_client.get("/beneficiaries/?lives_alone=y").get_data(as_text=True)


def test_every_view_of_the_full_record_is_logged(app, admin_client, coordinator_client, make_beneficiary):
    resident = make_beneficiary()
    for _view in range(2):
        assert admin_client.get(f"/beneficiaries/{resident.id}").status_code == 200
    assert coordinator_client.get(f"/beneficiaries/{resident.id}/edit").status_code == 200
    with app.app_context():
        entries = db.session.query(BeneficiaryAccess).filter_by(beneficiary_id=resident.id).all()
        assert sorted(entry.user_id for entry in entries) == sorted(
            [admin_client.user.id, admin_client.user.id, coordinator_client.user.id]
        )
        assert all(utcnow() - entry.at < timedelta(minutes=1) for entry in entries)


def test_lists_do_not_count_as_opening_a_record(app, admin_client, make_beneficiary):
    make_beneficiary()
    admin_client.get("/beneficiaries/")
    assert access_count(app) == 0


def test_admins_read_the_access_log_filtered_by_resident_or_staff_member(
    app, auth, admin_client, make_beneficiary
):
    first, second = make_beneficiary(name="甲老人"), make_beneficiary(name="乙老人")
    coordinator = auth.login(Role.COORDINATOR, display_name="网格员小陈")
    coordinator.get(f"/beneficiaries/{first.id}")
    admin_client.get(f"/beneficiaries/{second.id}")

    by_resident = admin_client.get(f"/beneficiaries/access-log?beneficiary_id={first.id}", headers=HTMX)
    html = by_resident.get_data(as_text=True)
    assert "网格员小陈" in html and "乙老人" not in html
    by_staff = admin_client.get(
        f"/beneficiaries/access-log?user_id={admin_client.user.id}", headers=HTMX
    ).get_data(as_text=True)
    assert "乙老人" in by_staff and "甲老人" not in by_staff
    assert access_count(app) == 2, "reading the log is not itself a view of a record"


def test_coordinators_cannot_read_the_access_log(coordinator_client):
    assert coordinator_client.get("/beneficiaries/access-log").status_code == 403


def test_record_pages_are_kept_out_of_caches(admin_client, make_beneficiary):
    resident = make_beneficiary()
    for url in ("/beneficiaries/", f"/beneficiaries/{resident.id}", f"/beneficiaries/{resident.id}/edit"):
        response = admin_client.get(url)
        assert response.headers["Cache-Control"] == "no-store"
        assert 'hx-history="false"' in response.get_data(as_text=True)


def test_no_personal_data_reaches_the_application_log(admin_client, building_ids, caplog, make_task):
    with caplog.at_level(logging.DEBUG):
        submit_form(admin_client, "/beneficiaries/new", valid_form(building_ids[1]))
        make_task()
    for secret in ("周桂芳", "13812345678", "2单元301", "耳背"):
        assert secret not in caplog.text
    assert "beneficiary" in caplog.text, "the log does say what happened, by id"


def test_editing_keeps_the_record_and_can_switch_visits_off(
    app, admin_client, make_beneficiary, building_ids
):
    resident = make_beneficiary(visit_every_days=7)
    response = submit_form(
        admin_client,
        f"/beneficiaries/{resident.id}/edit",
        {"building_id": building_ids[3], "name": "新名字", "visit_every_days": "", "active": False},
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Beneficiary, resident.id)
        assert (saved.name, saved.active, saved.visit_due_at) == ("新名字", False, None)


@pytest.mark.parametrize("active", [True, False])
def test_editing_without_touching_the_box_keeps_visits_as_they_were(
    app, admin_client, make_beneficiary, active
):
    resident = make_beneficiary(
        active=active,
        visit_every_days=14,
        emergency_name="周丽华",
        emergency_phone="13987654321",
        birth_year=1941,
    )
    assert form_on(admin_client, f"/beneficiaries/{resident.id}/edit").named("active")[0].checked is active
    response = submit_form(admin_client, f"/beneficiaries/{resident.id}/edit", {"care_notes": "腿脚不便"})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Beneficiary, resident.id)
        assert (saved.active, saved.care_notes) == (active, "腿脚不便")
        untouched = ("name", "unit", "room", "phone", "emergency_name", "emergency_phone", "birth_year")
        assert [getattr(saved, field) for field in untouched] == [
            getattr(resident, field) for field in untouched
        ]


def _year_field_outcome(admin_client, building_ids, year: int) -> tuple[int, str | None]:
    response = submit_form(
        admin_client, "/beneficiaries/new", valid_form(building_ids[1], birth_year=str(year))
    )
    return response.status_code, form_error(response.get_data(as_text=True), "birth_year")


@pytest.mark.parametrize("offset, accepted", [(0, True), (-1, False)])
def test_a_birth_year_from_1900_is_taken(admin_client, building_ids, offset, accepted):
    status, error = _year_field_outcome(admin_client, building_ids, 1900 + offset)
    assert (status, error) == ((302, None) if accepted else (422, "请填写 1900 年至今年之间的年份。"))


@pytest.mark.parametrize("offset, accepted", [(0, True), (1, False)])
def test_a_birth_year_up_to_this_year_is_taken(admin_client, building_ids, offset, accepted):
    status, error = _year_field_outcome(admin_client, building_ids, utcnow().year + offset)
    assert (status, error) == ((302, None) if accepted else (422, "请填写 1900 年至今年之间的年份。"))


def test_register_shows_residents_without_visits_with_a_badge_and_filters_them(
    admin_client, make_beneficiary
):
    make_beneficiary(name="在册甲", visit_every_days=7)
    make_beneficiary(name="停访乙", active=False)
    everyone = admin_client.get("/beneficiaries/").get_data(as_text=True)
    assert "在册甲" in everyone and "停访乙" in everyone
    assert re.search(r'<span class="badge off">不探访</span>', everyone)

    def names(query: str) -> set[str]:
        html = admin_client.get(f"/beneficiaries/?{query}", headers=HTMX).get_data(as_text=True)
        return {name for name in ("在册甲", "停访乙") if name in html}

    assert names("status=active") == {"在册甲"}
    assert names("status=inactive") == {"停访乙"}
    assert names("status=") == names("status=nonsense") == {"在册甲", "停访乙"}
    offered = [
        value for value, _chosen in form_on(admin_client, "/beneficiaries/").named("status")[0].options
    ]
    assert offered == ["", "active", "inactive"]
