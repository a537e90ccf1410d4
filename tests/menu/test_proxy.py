"""A building head or coordinator files a request for a resident without a phone."""

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Kind, Role, ServiceRequest
from tests.conftest import form_error
from tests.menu.conftest import buildings_of, count_rows


def proxy_form(service, building, **overrides):
    data = dict(
        service_id=str(service.id),
        resident_name="张桂兰",
        building_id=str(building.id),
        unit_room="3单元101",
        phone="",
        preferred_time="周三下午",
        details="独居，耳背，请敲门大声些。",
    )
    data.update(overrides)
    return data


@pytest.fixture
def building_head(auth, app, station):
    home = buildings_of(app, station)[2]
    return auth.login(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, building_id=home.id)


def test_building_head_files_for_a_resident_without_a_phone(app, station, building_head, make_service):
    service = make_service("上门探访")
    form = building_head.get(f"/requests/new?service={service.id}").get_data(as_text=True)
    home = buildings_of(app, station)[2]
    assert f'<option selected value="{service.id}">' in form, "the service chosen on its page"
    assert f'<option selected value="{home.id}">' in form, "the building head's own building"

    response = building_head.post("/requests/new", data=proxy_form(service, home))
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(sa.select(ServiceRequest)).one()
        assert stored.filed_by_id == building_head.user.id and stored.filed_by_proxy
        assert stored.phone == "" and stored.resident_name == "张桂兰"
    assert response.headers["Location"] == f"/r/{stored.follow_token}"
    confirmation = building_head.get(response.headers["Location"]).get_data(as_text=True)
    assert "请把单号告诉居民" in confirmation and stored.reference in confirmation


def test_the_inbox_marks_proxy_requests_and_names_the_filer(
    app, station, coordinator_client, building_head, make_service
):
    service = make_service("上门探访")
    building_head.post("/requests/new", data=proxy_form(service, buildings_of(app, station)[0]))
    html = coordinator_client.get("/requests").get_data(as_text=True)
    assert f"{building_head.user.display_name} 代办" in html and "无电话" in html


def test_coordinator_may_file_too(app, coordinator_client, station, make_service):
    service = make_service()
    building = buildings_of(app, station)[0]
    assert coordinator_client.post("/requests/new", data=proxy_form(service, building)).status_code == 302


@pytest.mark.parametrize("kind", [Kind.RESIDENT_VOLUNTEER, Kind.PARTY_MEMBER, Kind.PROPERTY_STAFF, None])
def test_other_volunteers_may_not(auth, make_service, kind):
    volunteer = auth.login(Role.VOLUNTEER, kind=kind)
    assert volunteer.get("/requests/new").status_code == 403
    assert volunteer.post("/requests/new", data={}).status_code == 403


def test_anonymous_and_superadmin_may_not(client, superadmin_client):
    assert client.get("/requests/new").status_code == 302
    assert superadmin_client.get("/requests/new").status_code == 403


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("service_id", "", "请选择一项居民可以申请的服务"),
        ("resident_name", "", "请填写居民的姓名"),
        ("phone", "123", "11 位手机号"),
        ("building_id", "0", "请从列表中选择您住的楼栋"),
    ],
)
def test_bad_input_is_refused_next_to_the_field(
    app, station, building_head, make_service, field, value, message
):
    service = make_service()
    data = proxy_form(service, buildings_of(app, station)[0], **{field: value})
    response = building_head.post("/requests/new", data=data)
    assert response.status_code == 422
    assert message in form_error(response.get_data(as_text=True), field)
    assert count_rows(app, ServiceRequest) == 0


def test_only_this_stations_requestable_services_can_be_chosen(
    app, station, make_station, building_head, make_service
):
    building = buildings_of(app, station)[0]
    for service in (
        make_service("剪纸兴趣班", requestable=False),
        make_service("法律咨询", published=False),
        make_service("别站的服务", station=make_station(name="阳光驿站")),
    ):
        response = building_head.post("/requests/new", data=proxy_form(service, building))
        assert response.status_code == 422, service.title
        assert "请选择一项居民可以申请的服务" in form_error(response.get_data(as_text=True), "service_id")
    assert count_rows(app, ServiceRequest) == 0


def test_building_heads_home_lists_the_requests_they_filed(app, station, building_head, make_service):
    service = make_service("上门探访")
    building_head.post("/requests/new", data=proxy_form(service, buildings_of(app, station)[0]))
    html = building_head.get("/me").get_data(as_text=True)
    assert "为没有手机的居民代办请求" in html
    assert "上门探访" in html and "张桂兰" in html and "新请求" in html


def test_other_volunteers_home_offers_no_proxy_filing(auth):
    volunteer = auth.login(Role.VOLUNTEER, kind=Kind.RESIDENT_VOLUNTEER)
    assert "/requests/new" not in volunteer.get("/me").get_data(as_text=True)
