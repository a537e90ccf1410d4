"""Admins keep their station's accounts; the street office keeps stations and their admins."""

import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Building, Kind, Role, Station, User
from tests.conftest import TEST_PASSWORD, form_error
from tests.forms import form_on, submit_form

NEW_ACCOUNT = {
    "username": "liuxf",
    "display_name": "刘秀芳",
    "phone": "139 1234 5678",
    "role": "volunteer",
    "kind": "resident",
}


def new_account(**overrides) -> dict:
    """What a secretary types into /people/new."""
    return {**NEW_ACCOUNT, **overrides}


def test_admin_creates_an_active_account_in_their_station(app, admin_client):
    response = submit_form(admin_client, "/people/new", new_account())
    assert response.status_code == 200, "the invitation slip, shown once"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "liuxf"))
        assert user.station_id == admin_client.user.station_id
        assert user.phone == "13912345678"
        assert user.kind == Kind.RESIDENT_VOLUNTEER
        assert user.active, "a new account is active: the form has no box to leave unticked"
    listing = admin_client.get("/people/").get_data(as_text=True)
    assert "刘秀芳" in listing and "139****5678" in listing and "13912345678" not in listing


def test_create_forms_have_no_active_box_and_no_password(admin_client, superadmin_client, station):
    for form in (
        form_on(admin_client, "/people/new"),
        form_on(superadmin_client, f"/people/stations/{station.id}/admins/new"),
    ):
        assert "active" not in form.names and "password" not in form.names


def test_bad_account_input_is_refused_next_to_the_field_and_kept(app, admin_client, make_user):
    make_user(Role.VOLUNTEER, username="taken")
    response = submit_form(
        admin_client, "/people/new", new_account(username="Bad Name!", phone="12345", display_name="王\x07五")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "11 位手机号" in form_error(html, "phone")
    assert "小写字母" in form_error(html, "username")
    assert "控制字符" in form_error(html, "display_name")
    assert 'value="12345"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_username_taken_is_reported_on_the_username_field(admin_client, make_user):
    make_user(Role.VOLUNTEER, username="taken")
    response = submit_form(admin_client, "/people/new", new_account(username="taken"))
    assert "已被使用" in form_error(response.get_data(as_text=True), "username")


def test_building_of_another_station_is_not_offered_and_refused(app, admin_client, make_station):
    other = make_station()
    with app.app_context():
        foreign_building = db.session.scalar(sa.select(Building.id).where(Building.station_id == other.id))
    offered = [
        value for value, _selected in form_on(admin_client, "/people/new").named("building_id")[0].options
    ]
    assert str(foreign_building) not in offered
    # A forged post (no browser sends it) is refused too.
    response = admin_client.post("/people/new", data={**new_account(), "building_id": str(foreign_building)})
    assert response.status_code == 422


def test_admin_cannot_open_an_account_of_another_station(admin_client, make_station, make_user):
    stranger = make_user(Role.VOLUNTEER, station=make_station())
    assert admin_client.get(f"/people/{stranger.id}/edit").status_code == 404
    assert stranger.display_name not in admin_client.get("/people/").get_data(as_text=True)


def test_switching_an_account_off_signs_the_person_out(app, admin_client, auth, make_user):
    volunteer = make_user(Role.VOLUNTEER)
    volunteer_client = auth.login(user=volunteer)
    response = submit_form(admin_client, f"/people/{volunteer.id}/edit", {"active": False})
    assert response.status_code == 302
    assert volunteer_client.get("/me").status_code == 302
    login = app.test_client().post(
        "/auth/login", data={"username": volunteer.username, "password": TEST_PASSWORD}
    )
    assert login.status_code == 422


def test_admin_cannot_switch_off_their_own_account(admin_client):
    me = admin_client.user
    response = submit_form(admin_client, f"/people/{me.id}/edit", {"active": False})
    assert response.status_code == 422
    assert "不能停用自己的账号" in response.get_data(as_text=True)


def test_account_list_runs_the_same_queries_for_many_rows(admin_client, make_user, count_queries):
    make_user(Role.VOLUNTEER)
    with count_queries() as few:
        admin_client.get("/people/")
    for _ in range(15):
        make_user(Role.VOLUNTEER)
    with count_queries() as many:
        admin_client.get("/people/")
    assert many.count == few.count


def test_superadmin_creates_a_station_with_buildings_and_an_admin(app, superadmin_client):
    response = submit_form(
        superadmin_client,
        "/people/stations/new",
        {"name": "幸福里驿站", "slug": "xingfuli", "community": "幸福社区", "building_count": "6"},
    )
    assert response.status_code == 302
    with app.app_context():
        station = db.session.scalar(sa.select(Station).where(Station.slug == "xingfuli"))
        assert [b.name for b in station.buildings] == [f"{n}号楼" for n in range(1, 7)]
        assert station.active, "the station form shows 'open to the public' ticked"
        station_id = station.id
    response = submit_form(
        superadmin_client,
        f"/people/stations/{station_id}/admins/new",
        {"username": "xfl-admin", "display_name": "幸书记", "role": "admin"},
    )
    assert response.status_code == 200 and "/people/invite/" in response.get_data(as_text=True)
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "xfl-admin"))
        assert (admin.station_id, admin.role, admin.active) == (station_id, Role.ADMIN, True)
    assert "xfl-admin" in superadmin_client.get("/people/stations").get_data(as_text=True)


def test_station_short_name_must_be_unique(superadmin_client, station):
    response = submit_form(
        superadmin_client,
        "/people/stations/new",
        {"name": "重名", "slug": station.slug, "building_count": "2"},
    )
    assert response.status_code == 422
    assert "简称" in form_error(response.get_data(as_text=True), "slug")


def test_admin_keeps_their_station_details(app, admin_client, station):
    changes = {"address": "物业办公楼一层", "opening_hours": "每天 9:00–17:00"}
    assert submit_form(admin_client, "/people/station", changes).status_code == 302
    assert "每天 9:00–17:00" in app.test_client().get("/").get_data(as_text=True)


def test_superadmin_closes_a_station_and_its_public_page_disappears(app, superadmin_client, make_station):
    other = make_station(name="甲驿站")
    closing = make_station(name="乙驿站")
    response = submit_form(superadmin_client, f"/people/stations/{closing.id}/edit", {"active": False})
    assert response.status_code == 302
    public = app.test_client()
    assert public.get(f"/s/{closing.slug}/").status_code == 404
    assert other.name in public.get("/").get_data(as_text=True)


def test_account_list_filters_by_text_and_kind_with_and_without_htmx(admin_client, make_user):
    make_user(Role.VOLUNTEER, display_name="孙桂兰", kind=Kind.BUILDING_HEAD)
    make_user(Role.VOLUNTEER, display_name="孙建国", kind=Kind.PROPERTY_STAFF)
    make_user(Role.VOLUNTEER, display_name="李文斌", kind=Kind.BUILDING_HEAD)
    page = admin_client.get("/people/?q=孙&kind=building_head").get_data(as_text=True)
    assert "孙桂兰" in page and "孙建国" not in page and "李文斌" not in page
    assert "<html" in page
    fragment = admin_client.get("/people/?q=孙", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="results"' in fragment
    assert "孙桂兰" in fragment and "孙建国" in fragment and "李文斌" not in fragment
