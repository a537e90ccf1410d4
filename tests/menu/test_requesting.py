"""A resident asks for a service without an account: the form, its checks and its limits."""

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import RequestState, Service, ServiceCategory, ServiceRequest
from tests.conftest import NO_CSRF_TOKEN, form_error, persist
from tests.menu.conftest import buildings_of, count_rows


def request_url(service) -> str:
    return f"/s/haiyuan-lidu/services/{service.id}/request"


@pytest.fixture
def resident_form(app, station):
    building = buildings_of(app, station)[1]

    def make(**overrides):
        data = dict(
            resident_name="王阿姨",
            building_id=str(building.id),
            unit_room="2单元301",
            phone="138 1234 5678",
            preferred_time="明天上午",
            details="降压药快吃完了。",
        )
        data.update(overrides)
        return data

    make.building = building
    return make


def only_request(app) -> ServiceRequest:
    with app.app_context():
        service_request = db.session.scalars(sa.select(ServiceRequest)).one()
        db.session.expunge(service_request)
        return service_request


def test_form_asks_for_the_few_things_needed(client, make_service):
    service = make_service("送药上门")
    html = client.get(request_url(service)).get_data(as_text=True)
    for label in ("您的称呼", "楼栋", "单元和门牌号", "电话", "方便的时间", "提交申请"):
        assert label in html
    assert "1号楼" in html and "3号楼" in html
    assert 'class="honeypot"' in html


def test_the_building_select_starts_with_a_prompt_chosen_by_default(client, make_service):
    html = client.get(request_url(make_service())).get_data(as_text=True)
    assert '<select id="building_id" name="building_id"><option selected value="">— 请选择 —</option>' in html


def test_a_request_is_filed_and_leads_to_its_follow_up_page(app, client, make_service, resident_form):
    service = make_service("送药上门")
    response = client.post(request_url(service), data=resident_form())
    assert response.status_code == 302
    stored = only_request(app)
    assert response.headers["Location"] == f"/r/{stored.follow_token}"
    assert (stored.resident_name, stored.building_id, stored.unit_room, stored.phone) == (
        "王阿姨",
        resident_form.building.id,
        "2单元301",
        "13812345678",
    )
    assert stored.state == RequestState.NEW and stored.filed_by_id is None
    assert len(stored.follow_token) >= 32 and len(stored.reference) == 6

    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "谢谢，您的申请已收到" in confirmation
    assert stored.reference in confirmation and "送药上门" in confirmation
    assert f"http://station.test/r/{stored.follow_token}" in confirmation, "the private link to keep"


@pytest.mark.parametrize("phone", ["0631-5201234", "06315201234", "+86 138 1234 5678"])
def test_landlines_and_country_code_are_accepted(app, client, make_service, resident_form, phone):
    assert client.post(request_url(make_service()), data=resident_form(phone=phone)).status_code == 302


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("resident_name", "", "请填写您的称呼"),
        ("resident_name", "王" * 21, "请不要超过 20 个字"),
        ("resident_name", "王\x08阿姨", "不可见的控制字符"),
        ("building_id", "", "请从列表中选择您住的楼栋"),
        ("building_id", "not-a-building", "请从列表中选择您住的楼栋"),
        ("building_id", "999999", "请从列表中选择您住的楼栋"),
        ("unit_room", "", "请填写单元和门牌号"),
        ("unit_room", "1" * 31, "请不要超过 30 个字"),
        ("phone", "", "请填写电话号码"),
        ("phone", "12345678901", "11 位手机号"),
        ("phone", "1381234567", "11 位手机号"),
        ("phone", "138-1234-5678x", "11 位手机号"),
        ("preferred_time", "上午" * 31, "请不要超过 60 个字"),
        ("details", "药" * 501, "请不要超过 500 个字"),
        ("details", "降压药\x1b[31m", "不可见的控制字符"),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field(
    app, client, make_service, resident_form, field, value, message
):
    response = client.post(request_url(make_service()), data=resident_form(**{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in form_error(html, field)
    assert "王阿姨" in html or field == "resident_name", "what was typed is kept"
    if value and field != "building_id":
        assert value.strip() in html
    assert count_rows(app, ServiceRequest) == 0


def test_a_building_of_another_station_is_refused(app, client, make_station, make_service, resident_form):
    foreign_building = buildings_of(app, make_station(name="阳光驿站"))[0]
    response = client.post(
        request_url(make_service()), data=resident_form(building_id=str(foreign_building.id))
    )
    assert response.status_code == 422
    assert "请从列表中选择您住的楼栋" in form_error(response.get_data(as_text=True), "building_id")
    assert count_rows(app, ServiceRequest) == 0


def test_the_honeypot_stops_bots(app, client, make_service, resident_form):
    response = client.post(request_url(make_service()), data=resident_form(website="http://spam.example"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "您的申请没能提交" in html
    assert "http://spam.example" not in html, "a person resubmitting is not caught again"
    assert count_rows(app, ServiceRequest) == 0


def test_a_service_that_is_not_requestable_takes_no_requests(app, client, make_service, resident_form):
    service = make_service("剪纸兴趣班", requestable=False)
    assert "不能在线申请" in client.get(request_url(service)).get_data(as_text=True)
    response = client.post(request_url(service), data=resident_form())
    assert response.status_code == 422 and "这项服务目前不能申请" in response.get_data(as_text=True)
    assert count_rows(app, ServiceRequest) == 0


def test_unpublished_and_foreign_services_cannot_be_requested(
    app, client, make_station, make_service, resident_form
):
    hidden = make_service(published=False)
    foreign = make_service(station=make_station(name="阳光驿站"))
    for service in (hidden, foreign):
        assert client.get(request_url(service)).status_code == 404
        assert client.post(request_url(service), data=resident_form()).status_code == 404
    assert count_rows(app, ServiceRequest) == 0


def test_request_pages_are_not_cached(client, make_service):
    response = client.get(request_url(make_service()))
    assert response.headers["Cache-Control"] == "no-store"


def test_the_form_needs_its_csrf_token(app, client, make_station, resident_form):

    station = make_station(slug="csrf-station")
    category = persist(app, ServiceCategory(station_id=station.id, name="关爱老人"))
    service = persist(
        app,
        Service(
            station_id=station.id, category_id=category.id, title="送药上门", published=True, requestable=True
        ),
    )
    building = buildings_of(app, station)[0]
    url = f"/s/csrf-station/services/{service.id}/request"
    response = client.post(url, data=resident_form(building_id=str(building.id)), headers=NO_CSRF_TOKEN)
    assert response.status_code == 400
    assert count_rows(app, ServiceRequest) == 0


# Limits ------------------------------------------------------------------------------------


def test_one_phone_can_file_only_a_few_requests(app_factory, make_station, resident_form):
    app = app_factory(REQUEST_LIMIT_PER_PHONE="2 per day")
    client = app.test_client()
    service, building = limited_service(app, make_station)
    data = resident_form(building_id=str(building.id))
    url = f"/s/limited/services/{service.id}/request"
    assert client.post(url, data={**data, "phone": ""}).status_code == 422, "typing mistakes do not count"
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    refused = client.post(url, data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "提交次数太多了" in html and "0631-5201234" in html
    assert "王阿姨" in html, "what was typed is kept"
    assert count_rows(app, ServiceRequest) == 2
    assert client.post(url, data={**data, "phone": "13900001111"}).status_code == 302


def test_one_address_can_send_only_a_few_forms(app_factory, make_station, resident_form):
    app = app_factory(REQUEST_LIMIT_PER_ADDRESS="3 per hour")
    client = app.test_client()
    service, building = limited_service(app, make_station)
    url = f"/s/limited/services/{service.id}/request"
    for number in range(3):
        data = resident_form(building_id=str(building.id), phone=f"1390000{number:04d}")
        assert client.post(url, data=data).status_code == 302
    response = client.post(url, data=resident_form(building_id=str(building.id), phone="13900009999"))
    assert response.status_code == 429
    assert client.get(url).status_code == 200, "reading the form is not limited"
    other_address = client.post(
        url,
        data=resident_form(building_id=str(building.id), phone="13900008888"),
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other_address.status_code == 302


def limited_service(app, make_station):
    station = make_station(slug="limited", phone="0631-5201234")
    category = persist(app, ServiceCategory(station_id=station.id, name="关爱老人"))
    service = persist(
        app,
        Service(
            station_id=station.id, category_id=category.id, title="送药上门", published=True, requestable=True
        ),
    )
    return service, buildings_of(app, station)[0]
