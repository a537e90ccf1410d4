"""What a resident sees after scanning the poster: the station's published menu, nothing more."""

import re

import pytest
import segno

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Kind, Role, Station
from tests.forms import choose_form, read_forms
from tests.menu.conftest import buildings_of


def fragment(client, url):
    return client.get(url, headers={"HX-Request": "true"})


def test_menu_shows_published_services_under_their_categories(client, station, make_category, make_service):
    care = make_category("关爱老人", sort_order=1)
    everyday = make_category("便民服务", sort_order=2)
    make_service("送药上门", care, when_offered="工作日 9:00–17:00", where_offered="老人家中")
    make_service("水电小修", everyday)
    make_service("法律咨询", everyday, published=False)
    html = client.get("/s/haiyuan-lidu/").get_data(as_text=True)
    menu = html[html.index('<section class="menu-category"') :]
    assert menu.index("关爱老人") < menu.index("送药上门") < menu.index("便民服务") < menu.index("水电小修")
    assert "工作日 9:00–17:00" in html and "老人家中" in html
    assert "法律咨询" not in html


def test_only_station_is_the_start_page(client, station, make_service):
    make_service("送药上门")
    html = client.get("/").get_data(as_text=True)
    assert station.name in html and "送药上门" in html


def test_with_several_stations_the_start_page_lists_them(client, station, make_station):
    other = make_station(name="阳光驿站")
    html = client.get("/").get_data(as_text=True)
    assert f"/s/{station.slug}/" in html and f"/s/{other.slug}/" in html


def test_menu_shows_services_and_categories_in_menu_order(client, menu_in_order):
    html = client.get("/s/haiyuan-lidu/").get_data(as_text=True)
    assert re.findall(r'class="service-card">\s*<h3><a [^>]*>([^<]+)<', html) == menu_in_order
    nav = re.search(r'<nav class="category-filter".*?</nav>', html, re.S).group()
    assert re.findall(r">([^<]+)</a>", nav) == ["全部", "关爱老人", "便民服务", "文体活动", "法律服务"]


def test_with_several_stations_the_start_page_shows_a_renamed_station(app, client, station, make_station):
    other = make_station(name="阳光驿站")
    assert "阳光驿站" in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.session.get(Station, other.id).name = "阳光新村驿站"
        db.session.commit()
    assert "阳光新村驿站" in client.get("/").get_data(as_text=True)


def test_menu_never_shows_another_stations_services(
    client, station, make_station, make_category, make_service
):
    other = make_station(name="阳光驿站")
    make_service("别站的服务", make_category("别站的分类", station=other), station=other)
    html = client.get("/s/haiyuan-lidu/").get_data(as_text=True)
    assert "别站的服务" not in html and "别站的分类" not in html
    assert "别站的服务" in client.get(f"/s/{other.slug}/").get_data(as_text=True)


def test_contact_phone_is_public_only_with_consent(client, make_service, make_user):
    recorder = make_user(Role.ADMIN)
    make_service(
        "上门探访",
        contact_name="叶美玲",
        contact_phone="17000000008",
        contact_phone_consent_at=utcnow(),
        contact_phone_consent_by_id=recorder.id,
    )
    make_service("送药上门", contact_name="廖志强", contact_phone="17000000025")
    html = client.get("/s/haiyuan-lidu/").get_data(as_text=True)
    assert "叶美玲" in html and 'href="tel:17000000008"' in html
    assert "廖志强" in html and "17000000025" not in html


def test_public_pages_show_no_residents_data(client, make_service, make_request):
    service = make_service("送药上门")
    make_request(service, resident_name="王秀英", phone="13912345678")
    for url in ("/", "/s/haiyuan-lidu/", f"/s/haiyuan-lidu/services/{service.id}", "/s/haiyuan-lidu/poster"):
        html = client.get(url).get_data(as_text=True)
        assert "王秀英" not in html and "13912345678" not in html and "5678" not in html


def test_category_filter_shows_one_category_and_marks_it(client, make_category, make_service):
    care = make_category("关爱老人")
    everyday = make_category("便民服务")
    make_service("送药上门", care)
    make_service("水电小修", everyday)
    html = client.get(f"/s/haiyuan-lidu/?category={care.id}").get_data(as_text=True)
    assert "送药上门" in html and "水电小修" not in html
    assert re.search(rf'category={care.id}"[^>]*aria-current="page"', html)


@pytest.mark.parametrize("category", ["abc", "999999", ""])
def test_unknown_category_shows_everything(client, make_service, category):
    make_service("送药上门")
    response = client.get(f"/s/haiyuan-lidu/?category={category}")
    assert response.status_code == 200 and "送药上门" in response.get_data(as_text=True)


def test_keyword_search_matches_title_summary_description_and_category(client, make_category, make_service):
    care = make_category("关爱老人")
    make_service("送药上门", care)
    make_service("剪发", summary="师傅每月上门理发一次")
    make_service("水电小修", description="换灯泡、修水龙头")
    make_service("剪纸兴趣班")
    assert "剪发" in client.get("/s/haiyuan-lidu/?q=理发").get_data(as_text=True)
    assert "送药上门" in client.get("/s/haiyuan-lidu/?q=送药").get_data(as_text=True)
    html = client.get("/s/haiyuan-lidu/?q=水龙头").get_data(as_text=True)
    assert "水电小修" in html and "剪纸兴趣班" not in html
    assert "送药上门" in client.get("/s/haiyuan-lidu/?q=关爱").get_data(as_text=True)


@pytest.mark.parametrize("query", ["%", "_", "理发"])
def test_search_without_match_says_so(client, make_service, query):
    make_service("送药上门")
    html = client.get("/s/haiyuan-lidu/", query_string={"q": query}).get_data(as_text=True)
    assert "送药上门" not in html
    assert "没有找到相关服务" in html


def test_search_is_cut_to_a_sane_length(client, make_service):
    """Only the first 50 characters count: a word past them neither filters nor shows."""
    make_service("送药上门")
    query = "送药" + " " * 48 + "理发" * 2500
    response = client.get("/s/haiyuan-lidu/", query_string={"q": query})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "送药上门" in html and "没有找到相关服务" not in html
    assert "理发" not in html
    kept = choose_form(read_forms(html), "#menu-search", {}).named("q")[0].value
    assert kept.strip() == "送药" and len(kept) <= 50


def test_htmx_gets_only_the_results_and_the_same_url_gives_the_whole_page(client, make_service):
    make_service("送药上门")
    url = "/s/haiyuan-lidu/?q=送药"
    full = client.get(url)
    part = fragment(client, url)
    assert "<html" in full.get_data(as_text=True)
    html = part.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="menu-results"')
    assert "送药上门" in html
    assert "HX-Request" in part.headers["Vary"] and "HX-Request" in full.headers["Vary"]


def test_filter_links_and_search_form_work_without_javascript(client, make_category, make_service):
    care = make_category("关爱老人")
    make_service("送药上门", care)
    html = client.get("/s/haiyuan-lidu/").get_data(as_text=True)
    assert f'href="/s/haiyuan-lidu/?category={care.id}"' in html
    assert re.search(r'<form id="menu-search"[^>]*method="get"[^>]*action="/s/haiyuan-lidu/"', html, re.S)


def test_requestable_services_offer_a_request_button(client, make_service):
    requestable = make_service("送药上门")
    make_service("剪纸兴趣班", requestable=False)
    html = client.get("/s/haiyuan-lidu/").get_data(as_text=True)
    assert html.count("我要申请") == 1
    assert f"/s/haiyuan-lidu/services/{requestable.id}/request" in html


def test_service_page_has_a_stable_address(client, make_service):
    service = make_service("送药上门", description="行动不便的老人，可请志愿者代取药品。")
    response = client.get(f"/s/haiyuan-lidu/services/{service.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "送药上门" in html and "代取药品" in html and "我要申请" in html


def test_unpublished_or_foreign_service_pages_are_404(client, station, make_station, make_service):
    hidden = make_service("法律咨询", published=False)
    other = make_station(name="阳光驿站")
    foreign = make_service("别站的服务", station=other)
    assert client.get(f"/s/haiyuan-lidu/services/{hidden.id}").status_code == 404
    assert client.get(f"/s/haiyuan-lidu/services/{foreign.id}").status_code == 404
    assert client.get("/s/no-such-station/").status_code == 404


def test_inactive_station_has_no_public_pages(client, make_station, make_service):
    closed = make_station(name="已关闭驿站", active=False)
    service = make_service(station=closed)
    for page in ("", "poster", f"services/{service.id}", f"services/{service.id}/request"):
        assert client.get(f"/s/{closed.slug}/{page}").status_code == 404, page


def test_menu_runs_the_same_number_of_queries_however_long(
    client, make_category, make_service, count_queries
):
    category = make_category()
    make_service(category=category)
    with count_queries() as few:
        client.get("/s/haiyuan-lidu/")
    for _ in range(20):
        make_service(category=make_category())
    with count_queries() as many:
        html = client.get("/s/haiyuan-lidu/").get_data(as_text=True)
    assert html.count('class="service-card"') == 21
    assert many.count == few.count


def test_building_head_sees_a_link_to_file_for_a_resident(app, auth, station, make_service):
    service = make_service("送药上门")
    building_head = auth.login(Role.VOLUNTEER, kind=Kind.BUILDING_HEAD)
    html = building_head.get(f"/s/haiyuan-lidu/services/{service.id}").get_data(as_text=True)
    assert f"/requests/new?service={service.id}" in html
    resident_volunteer = auth.login(Role.VOLUNTEER)
    html = resident_volunteer.get(f"/s/haiyuan-lidu/services/{service.id}").get_data(as_text=True)
    assert "/requests/new" not in html


# The poster ----------------------------------------------------------------------------


def test_poster_has_a_qr_code_of_the_absolute_menu_address(app, client, station, make_category, make_service):
    make_service("送药上门", make_category("关爱老人"))
    make_service("法律咨询", make_category("法律服务"), published=False)
    html = client.get("/s/haiyuan-lidu/poster").get_data(as_text=True)
    menu_url = "http://station.test/s/haiyuan-lidu/"
    assert menu_url in html
    expected_modules = re.search(r' d="([^"]+)"', segno.make(menu_url, error="m").svg_inline()).group(1)
    assert f'd="{expected_modules}"' in html, "the QR code encodes the public menu's address"
    assert station.name in html and "关爱老人" in html
    assert "法律服务" not in html, "only categories with published services"


def test_poster_is_an_a4_print_page(client, station):
    html = client.get("/s/haiyuan-lidu/poster").get_data(as_text=True)
    assert 'class="poster-sheet"' in html
    with open("static/css/app.css", encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    assert "@page poster { size: A4 portrait" in css


def test_poster_escapes_the_station_name_in_the_svg(client, make_station):
    odd = make_station(name="<script>驿站</script>")
    html = client.get(f"/s/{odd.slug}/poster").get_data(as_text=True)
    assert "<script>驿站" not in html


def test_buildings_factory_sees_the_station_buildings(app, station):
    assert [b.name for b in buildings_of(app, station)] == ["1号楼", "2号楼", "3号楼"]


def test_control_characters_in_a_search_are_ignored(client, make_service):
    make_service("送药上门")
    response = client.get("/s/haiyuan-lidu/", query_string={"q": "送\x07药\x1b"})
    assert response.status_code == 200 and "送药上门" in response.get_data(as_text=True)
