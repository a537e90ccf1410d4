"""A resident finds her request again at /r with its reference (单号) and the end of her phone."""

import re

import pytest

from scheduler.models import Kind, Role, Service, ServiceCategory, ServiceRequest, Station
from tests.conftest import persist
from tests.forms import submit_form, without_csrf_tokens
from tests.menu.conftest import buildings_of


@pytest.fixture
def medicine(make_service):
    return make_service("送药上门")


def wrong_answer_page(response) -> str:
    """The page without what differs between two renders anyway: typed values and the token."""
    return re.sub(r'value="[^"]*"', 'value=""', without_csrf_tokens(response.get_data(as_text=True)))


def test_the_reference_and_the_phone_end_lead_to_the_follow_up_page(client, medicine, make_request):
    service_request = make_request(medicine, phone="13812345678", reference="K7Q4MX")
    response = submit_form(client, "/r", {"reference": " k7q4mx ", "phone_end": "5678"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/r/{service_request.follow_token}")
    assert "K7Q4MX" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_wrong_reference_and_a_wrong_phone_get_the_same_answer(client, medicine, make_request):
    make_request(medicine, phone="13812345678", reference="K7Q4MX")
    wrong_phone = submit_form(client, "/r", {"reference": "K7Q4MX", "phone_end": "5679"})
    wrong_reference = submit_form(client, "/r", {"reference": "K7Q4MA", "phone_end": "5678"})
    assert wrong_phone.status_code == wrong_reference.status_code == 422
    assert wrong_answer_page(wrong_phone) == wrong_answer_page(wrong_reference)
    assert "单号或手机号不对" in wrong_phone.get_data(as_text=True)
    assert wrong_phone.headers["Cache-Control"] == "no-store"


def test_a_request_without_a_phone_cannot_be_found_by_guessing(client, medicine, make_request):
    """A proxy request has no phone: no four digits, not even an empty answer, may open it."""
    make_request(medicine, phone="", reference="K7Q4MX")
    for phone_end in ("0000", "    ", ""):
        response = submit_form(client, "/r", {"reference": "K7Q4MX", "phone_end": phone_end})
        assert response.status_code == 422


@pytest.mark.parametrize(
    ("phone_end", "message"),
    [("", "请输入您留的手机号的后4位"), ("56a8", "请输入4位数字"), ("45678", "请输入4位数字")],
)
def test_bad_input_is_explained_next_to_the_field(client, medicine, make_request, phone_end, message):
    make_request(medicine, phone="13812345678", reference="K7Q4MX")
    response = submit_form(client, "/r", {"reference": "K7Q4MX", "phone_end": phone_end})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'value="K7Q4MX"' in html, "what was typed is kept"


def test_wrong_tries_are_limited_per_reference_from_any_address(app_factory, make_station):
    app = app_factory(LOOKUP_LIMIT_PER_REFERENCE="3 per day", LOOKUP_LIMIT_PER_ADDRESS="100 per hour")
    client = app.test_client()
    _, other = requests_in(app, make_station)
    for number in range(3):
        address = {"REMOTE_ADDR": f"10.0.0.{number + 1}"}
        answer = client.post(
            "/r", data={"reference": "K7Q4MX", "phone_end": f"000{number}"}, environ_base=address
        )
        assert answer.status_code == 422
    refused = client.post(
        "/r", data={"reference": "K7Q4MX", "phone_end": "5678"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert refused.status_code == 429, "even the right phone, once the reference had its tries"
    assert "尝试次数太多" in refused.get_data(as_text=True)
    assert client.post("/r", data={"reference": other.reference, "phone_end": "1234"}).status_code == 302


def test_wrong_tries_are_limited_per_address(app_factory, make_station):
    app = app_factory(LOOKUP_LIMIT_PER_REFERENCE="100 per day", LOOKUP_LIMIT_PER_ADDRESS="3 per hour")
    client = app.test_client()
    requests_in(app, make_station)
    for reference in ("AAAAAA", "CCCCCC", "DDDDDD"):
        assert client.post("/r", data={"reference": reference, "phone_end": "5678"}).status_code == 422
    assert client.post("/r", data={"reference": "K7Q4MX", "phone_end": "5678"}).status_code == 429
    elsewhere = client.post(
        "/r", data={"reference": "K7Q4MX", "phone_end": "5678"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert elsewhere.status_code == 302


def test_finding_a_request_does_not_use_up_the_tries(app_factory, make_station):
    app = app_factory(LOOKUP_LIMIT_PER_REFERENCE="2 per day", LOOKUP_LIMIT_PER_ADDRESS="2 per hour")
    client = app.test_client()
    requests_in(app, make_station)
    for _ in range(4):
        assert client.post("/r", data={"reference": "K7Q4MX", "phone_end": "5678"}).status_code == 302


def requests_in(app, make_station) -> tuple[ServiceRequest, ServiceRequest]:
    station: Station = make_station(slug="lookup")
    category = persist(app, ServiceCategory(station_id=station.id, name="关爱老人"))
    service = persist(
        app, Service(station_id=station.id, category_id=category.id, title="送药上门", published=True)
    )
    building = buildings_of(app, station)[0]
    fields = dict(
        station_id=station.id, service_id=service.id, resident_name="王阿姨", building_id=building.id
    )
    return (
        persist(app, ServiceRequest(reference="K7Q4MX", phone="13812345678", **fields)),
        persist(app, ServiceRequest(reference="TTTTTT", phone="13900001234", **fields)),
    )


def test_the_menu_and_the_follow_up_page_lead_to_the_lookup(client, medicine, make_request, station):
    html = client.get(f"/s/{station.slug}/").get_data(as_text=True)
    assert 'href="/r"' in html
    service_request = make_request(medicine)
    assert 'href="/r"' in client.get(f"/r/{service_request.follow_token}").get_data(as_text=True)
    assert "/r" in client.get(f"/s/{station.slug}/poster").get_data(as_text=True).split("poster-find")[1]


def test_a_request_filed_by_the_building_head_says_the_head_will_follow_up(
    client, make_user, app, medicine, make_request, station
):
    head = make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, building_id=buildings_of(app, station)[0].id)
    by_head = make_request(medicine, phone="", filed_by_id=head.id)
    own = make_request(medicine)
    html = client.get(f"/r/{by_head.follow_token}").get_data(as_text=True)
    assert "楼栋长会跟进" in html and "尽快给您打电话" not in html
    assert "尽快给您打电话" in client.get(f"/r/{own.follow_token}").get_data(as_text=True)
