"""The staff's request inbox: who may see it, what it shows, and accepting, declining, finishing."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Kind, Notice, RequestState, Role, ServiceRequest
from tests.conftest import form_error
from tests.menu.conftest import buildings_of, count_rows, load

HTMX = {"HX-Request": "true"}


def staff_routes(service_request):
    return [
        ("GET", "/requests"),
        ("GET", "/requests/ratings"),
        ("GET", f"/requests/{service_request.id}"),
        ("POST", f"/requests/{service_request.id}/accept"),
        ("POST", f"/requests/{service_request.id}/decline"),
        ("POST", f"/requests/{service_request.id}/done"),
    ]


@pytest.mark.parametrize(
    "role, allowed",
    [
        (None, False),
        (Role.VOLUNTEER, False),
        (Role.SUPERADMIN, False),
        (Role.COORDINATOR, True),
        (Role.ADMIN, True),
    ],
)
def test_the_inbox_is_for_admin_and_coordinator(app, auth, make_service, make_request, role, allowed):
    service_request = make_request(make_service())
    client = auth.login(role, kind=Kind.BUILDING_HEAD) if role == Role.VOLUNTEER else None
    client = client or (auth.login(role) if role else app.test_client())
    for method, url in staff_routes(service_request):
        response = client.open(url, method=method)
        if role is None:
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
            assert client.open(url, method=method, headers=HTMX).status_code == 401, url
        elif not allowed:
            assert response.status_code == 403, url
        else:
            assert response.status_code in (200, 302, 422), url


def test_other_stations_requests_are_404(app, coordinator_client, make_station, make_service, make_request):
    other = make_station(name="阳光驿站")
    foreign = make_request(make_service(station=other), resident_name="外站居民")
    for method, url in staff_routes(foreign)[2:]:
        assert coordinator_client.open(url, method=method).status_code == 404, url
    assert load(app, ServiceRequest, foreign.id).state == RequestState.NEW
    html = coordinator_client.get("/requests?state=all").get_data(as_text=True)
    assert "外站居民" not in html


def test_new_requests_come_first_newest_on_top_with_masked_phones(
    coordinator_client, make_service, make_request
):
    service = make_service("送药上门")
    now = utcnow()
    make_request(service, resident_name="早来的", created_at=now - timedelta(hours=5))
    make_request(service, resident_name="晚来的", phone="13812345678", created_at=now - timedelta(hours=1))
    make_request(service, resident_name="已完成的", state=RequestState.DONE)
    response = coordinator_client.get("/requests")
    html = response.get_data(as_text=True)
    assert html.index("晚来的") < html.index("早来的")
    assert "已完成的" not in html
    assert "138****5678" in html and "13812345678" not in html
    assert response.headers["Cache-Control"] == "no-store" and 'hx-history="false"' in html


def test_tabs_count_requests_per_state(coordinator_client, make_service, make_request):
    service = make_service()
    for state in (RequestState.NEW, RequestState.NEW, RequestState.ACCEPTED, RequestState.DONE):
        make_request(service, state=state)
    html = coordinator_client.get("/requests").get_data(as_text=True)
    counts = dict(re.findall(r'state=(\w+)[^>]*>\s*[^<]+<span class="count">(\d+)</span>', html))
    assert counts == {"new": "2", "accepted": "1", "scheduled": "0", "done": "1", "declined": "0", "all": "4"}


def test_filters_by_state_service_building_and_words(
    app, station, coordinator_client, make_service, make_request
):
    medicine, repair = make_service("送药上门"), make_service("水电小修")
    second_building = buildings_of(app, station)[1]
    make_request(medicine, resident_name="王秀英", phone="13800001111")
    make_request(repair, resident_name="李建国", building_id=second_building.id)
    done = make_request(repair, resident_name="张桂兰", state=RequestState.DONE)

    def names(query):
        html = coordinator_client.get("/requests", query_string=query).get_data(as_text=True)
        return {name for name in ("王秀英", "李建国", "张桂兰") if name in html}

    assert names({"state": "all"}) == {"王秀英", "李建国", "张桂兰"}
    assert names({"state": "done"}) == {"张桂兰"}
    assert names({"state": "all", "service": repair.id}) == {"李建国", "张桂兰"}
    assert names({"state": "all", "building": second_building.id}) == {"李建国"}
    assert names({"state": "all", "q": "秀英"}) == {"王秀英"}
    assert names({"state": "all", "q": "1111"}) == {"王秀英"}
    assert names({"state": "all", "q": done.reference.lower()}) == {"张桂兰"}
    assert names({"state": "nonsense", "service": "x", "building": "y"}) == {"王秀英", "李建国", "张桂兰"}


def test_the_service_filter_lists_services_in_menu_order(coordinator_client, menu_in_order):
    html = coordinator_client.get("/requests").get_data(as_text=True)
    service_filter = re.search(r'<select id="filter-service".*?</select>', html, re.S).group()
    assert re.findall(r'<option value="\d+">([^<]+)<', service_filter) == menu_in_order


def test_filtering_with_htmx_returns_the_results_only(coordinator_client, make_service, make_request):
    make_request(make_service())
    response = coordinator_client.get("/requests?state=all", headers=HTMX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="inbox-results"')
    assert "<html" in coordinator_client.get("/requests?state=all").get_data(as_text=True)


def test_the_inbox_runs_the_same_number_of_queries_however_long(
    coordinator_client, make_service, make_request, make_user, count_queries
):
    service = make_service()
    head = make_user(Role.VOLUNTEER)
    make_request(service, filed_by_id=head.id)
    with count_queries() as few:
        coordinator_client.get("/requests?state=all")
    for number in range(25):
        make_request(make_service() if number % 2 else service, filed_by_id=head.id if number % 3 else None)
    with count_queries() as many:
        html = coordinator_client.get("/requests?state=all").get_data(as_text=True)
    assert html.count('class="row request-row"') == 26
    assert many.count == few.count


def test_the_inbox_pages_long_lists(coordinator_client, make_service, make_request):
    service = make_service()
    for _ in range(35):
        make_request(service)
    first = coordinator_client.get("/requests").get_data(as_text=True)
    second = coordinator_client.get("/requests?page=2").get_data(as_text=True)
    assert first.count('class="row request-row"') == 30 and second.count('class="row request-row"') == 5
    assert "第 1 页，共 2 页" in first


def test_request_page_shows_the_full_phone_and_details(coordinator_client, make_service, make_request):
    service_request = make_request(make_service(), phone="13812345678", details="降压药快吃完了。")
    response = coordinator_client.get(f"/requests/{service_request.id}")
    html = response.get_data(as_text=True)
    assert 'href="tel:13812345678"' in html and "降压药快吃完了。" in html
    assert response.headers["Cache-Control"] == "no-store" and 'hx-history="false"' in html


# Acting on a request --------------------------------------------------------------------------


def test_accept_with_htmx_updates_the_state_and_the_counts(
    app, coordinator_client, make_service, make_request
):
    service_request = make_request(make_service())
    response = coordinator_client.post(
        f"/requests/{service_request.id}/accept", data={"next": "/requests?state=new"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<div class="request-state" id="request-state-{service_request.id}"')
    assert "已受理" in html
    assert 'id="request-counts" class="state-tabs"' in html and 'hx-swap-oob="true"' in html
    stored = load(app, ServiceRequest, service_request.id)
    assert stored.state == RequestState.ACCEPTED and stored.accepted_at is not None
    assert stored.handled_by_id == coordinator_client.user.id


def test_accept_without_javascript_goes_back_to_the_inbox_page(
    coordinator_client, make_service, make_request
):
    service_request = make_request(make_service())
    response = coordinator_client.post(
        f"/requests/{service_request.id}/accept", data={"next": "/requests?state=new&page=1"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/requests?state=new&page=1"
    response = coordinator_client.post(
        f"/requests/{service_request.id}/done", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == f"/requests/{service_request.id}"


def test_decline_needs_a_reason_the_resident_then_sees(
    app, client, coordinator_client, make_service, make_request
):
    service_request = make_request(make_service())
    field = f"decline-{service_request.id}-reason"
    empty = coordinator_client.post(
        f"/requests/{service_request.id}/decline", data={field: "  "}, headers=HTMX
    )
    assert empty.status_code == 422
    assert "请写明原因，居民会看到" in form_error(empty.get_data(as_text=True), field)
    too_long = coordinator_client.post(f"/requests/{service_request.id}/decline", data={field: "因" * 201})
    assert too_long.status_code == 422 and "<html" in too_long.get_data(as_text=True)
    assert load(app, ServiceRequest, service_request.id).state == RequestState.NEW

    reason = "家中消毒请联系物业有偿服务。"
    response = coordinator_client.post(f"/requests/{service_request.id}/decline", data={field: reason})
    assert response.status_code == 302
    stored = load(app, ServiceRequest, service_request.id)
    assert stored.state == RequestState.DECLINED and stored.decline_reason == reason
    assert reason in client.get(f"/r/{service_request.follow_token}").get_data(as_text=True)


def test_mark_done_then_no_more_changes(app, coordinator_client, make_service, make_request):
    service_request = make_request(make_service(), state=RequestState.ACCEPTED)
    assert coordinator_client.post(f"/requests/{service_request.id}/done").status_code == 302
    assert load(app, ServiceRequest, service_request.id).state == RequestState.DONE
    again = coordinator_client.post(f"/requests/{service_request.id}/accept", headers=HTMX)
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "已经是“已完成”状态" in html
    plain = coordinator_client.post(f"/requests/{service_request.id}/done")
    assert plain.status_code == 409 and "<html" in plain.get_data(as_text=True)


def test_the_filer_of_a_proxy_request_hears_about_changes(
    app, coordinator_client, make_service, make_request, make_user
):
    head = make_user(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD)
    service_request = make_request(make_service("送药上门"), filed_by_id=head.id)
    coordinator_client.post(f"/requests/{service_request.id}/accept")
    with app.app_context():
        notice = db.session.scalars(sa.select(Notice).where(Notice.user_id == head.id)).one()
        assert service_request.reference in notice.text and "已受理" in notice.text
        assert notice.link == f"/r/{service_request.follow_token}"


def test_ratings_per_service(coordinator_client, make_service, make_request):
    medicine, repair = make_service("送药上门"), make_service("水电小修")
    make_request(medicine, state=RequestState.DONE, rating=5, rating_comment="很及时", rated_at=utcnow())
    make_request(medicine, state=RequestState.DONE, rating=4, rated_at=utcnow())
    make_request(repair, state=RequestState.DONE)
    html = coordinator_client.get("/requests/ratings").get_data(as_text=True)
    assert "送药上门" in html and "★ 4.5" in html and "2 条评价" in html and "很及时" in html
    assert "水电小修" not in html


def test_staff_home_shows_how_many_requests_wait(coordinator_client, make_service, make_request):
    service = make_service()
    make_request(service)
    make_request(service)
    html = coordinator_client.get("/me").get_data(as_text=True)
    assert "2 条新请求" in html and 'href="/requests"' in html


def test_no_rows_are_lost_or_added_by_the_inbox(app, coordinator_client, make_service, make_request):
    make_request(make_service())
    coordinator_client.get("/requests?state=all")
    assert count_rows(app, ServiceRequest) == 1


def test_control_characters_in_the_inbox_search_are_ignored(coordinator_client, make_service, make_request):
    make_request(make_service(), resident_name="王秀英")
    response = coordinator_client.get("/requests", query_string={"state": "all", "q": "秀\x07英"})
    assert response.status_code == 200 and "王秀英" in response.get_data(as_text=True)
