"""The resident's private link: the state of their own request, and a rating once it is done."""

from datetime import UTC, datetime

import pytest

from scheduler.models import Kind, RequestState, Role, ServiceRequest
from tests.conftest import form_error
from tests.menu.conftest import load


def follow_up_url(service_request) -> str:
    return f"/r/{service_request.follow_token}"


def test_shows_its_own_request_and_nobody_elses(client, make_service, make_request):
    service = make_service("送药上门")
    mine = make_request(service, resident_name="王秀英", phone="13912345678", details="降压药")
    other = make_request(service, resident_name="李建国", phone="13700001111")
    response = client.get(follow_up_url(mine))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert mine.reference in html and "送药上门" in html and "我们已收到您的申请" in html
    assert other.reference not in html and "李建国" not in html and "13700001111" not in html
    # Links get forwarded in chats: not even the resident's own name, phone or notes.
    assert "王秀英" not in html and "13912345678" not in html and "降压药" not in html


# A NUL anywhere in a request is refused before any view (scheduler.inputs): 400.
@pytest.mark.parametrize("token, status", [("wrong-token", 404), ("x" * 32, 404), ("", 404), ("%00", 400)])
def test_a_wrong_token_is_404(client, make_service, make_request, token, status):
    make_request(make_service())
    assert client.get(f"/r/{token}").status_code == status


def test_the_page_is_private(client, make_service, make_request):
    response = client.get(follow_up_url(make_request(make_service())))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert 'hx-history="false"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"state": RequestState.NEW}, "我们已收到您的申请"),
        ({"state": RequestState.ACCEPTED}, "驿站已受理您的请求"),
        (
            {"state": RequestState.SCHEDULED, "scheduled_for": datetime(2026, 12, 1, 1, 30, tzinfo=UTC)},
            "将于 2026-12-01 09:30 上门服务",
        ),
        ({"state": RequestState.DONE}, "服务已完成"),
        (
            {"state": RequestState.DECLINED, "decline_reason": "家中消毒请联系物业有偿服务。"},
            "家中消毒请联系物业有偿服务。",
        ),
    ],
)
def test_each_state_is_explained(client, make_service, make_request, fields, expected):
    html = client.get(follow_up_url(make_request(make_service(), **fields))).get_data(as_text=True)
    assert expected in html
    assert 'aria-current="step"' in html


def test_a_request_filed_for_the_resident_says_so(client, make_service, make_request, make_user):
    head = make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD, display_name="叶美玲")
    html = client.get(follow_up_url(make_request(make_service(), filed_by_id=head.id))).get_data(as_text=True)
    assert "代为提交" in html and "叶美玲" not in html


# Rating ------------------------------------------------------------------------------------


def rate(client, service_request, **data):
    return client.post(f"{follow_up_url(service_request)}/rating", data=data)


def test_no_rating_before_the_request_is_done(app, client, make_service, make_request):
    service_request = make_request(make_service(), state=RequestState.ACCEPTED)
    html = client.get(follow_up_url(service_request)).get_data(as_text=True)
    assert "服务完成后，您可以在这里评价" in html and "提交评价" not in html
    response = rate(client, service_request, rating="5")
    assert response.status_code == 409 and "服务完成后才能评价" in response.get_data(as_text=True)
    assert load(app, ServiceRequest, service_request.id).rating is None


def test_rate_a_done_request_once(app, client, make_service, make_request):
    service_request = make_request(make_service(), state=RequestState.DONE)
    assert "提交评价" in client.get(follow_up_url(service_request)).get_data(as_text=True)
    response = rate(client, service_request, rating="4", comment=" 志愿者很耐心。 ")
    assert response.status_code == 302 and response.headers["Location"] == follow_up_url(service_request)
    stored = load(app, ServiceRequest, service_request.id)
    assert (stored.rating, stored.rating_comment) == (4, "志愿者很耐心。")
    assert stored.rated_at is not None

    html = client.get(follow_up_url(service_request)).get_data(as_text=True)
    assert "★★★★☆" in html and "志愿者很耐心。" in html and "提交评价" not in html
    again = rate(client, service_request, rating="1", comment="改主意了")
    assert again.status_code == 409 and "您已经评价过了" in again.get_data(as_text=True)
    assert load(app, ServiceRequest, service_request.id).rating == 4


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({}, "rating", "请选择 1 到 5 颗星"),
        ({"rating": "0"}, "rating", "请选择 1 到 5 颗星"),
        ({"rating": "6"}, "rating", "请选择 1 到 5 颗星"),
        ({"rating": "five"}, "rating", "请选择 1 到 5 颗星"),
        ({"rating": "5", "comment": "好" * 201}, "comment", "请不要超过 200 个字"),
        ({"rating": "5", "comment": "好\x07"}, "comment", "不可见的控制字符"),
    ],
)
def test_bad_ratings_are_refused_next_to_the_field(
    app, client, make_service, make_request, data, field, message
):
    service_request = make_request(make_service(), state=RequestState.DONE)
    response = rate(client, service_request, **data)
    assert response.status_code == 422
    assert message in form_error(response.get_data(as_text=True), field)
    assert load(app, ServiceRequest, service_request.id).rating is None


def test_rating_with_htmx_answers_with_the_rating_block(client, make_service, make_request):
    service_request = make_request(make_service(), state=RequestState.DONE)
    response = client.post(
        f"{follow_up_url(service_request)}/rating", data={"rating": "5"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="rating"') and "<html" not in html
    assert "★★★★★" in html and "谢谢您的评价" in html


def test_rating_needs_the_right_token(client, make_service, make_request):
    make_request(make_service(), state=RequestState.DONE)
    assert client.post("/r/not-a-token/rating", data={"rating": "5"}).status_code == 404
