"""Public pages from the cache: every write that changes them changes their ETag, the cache
never holds anything of one visitor's session, 304s, compression and fingerprinted static files."""

import gzip
import os
import re
import time
import uuid
from datetime import timedelta

import brotli
import pytest
import sqlalchemy as sa
from flask import request_started, template_rendered

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Role, Service, ServiceCategory, Shift, ShiftKind, Station
from scheduler.static_files import build_manifest
from tests.conftest import NO_CSRF_TOKEN, persist
from tests.forms import submit_form
from tests.shifts.conftest import days_from_now

MENU = "/s/haiyuan-lidu/"


@pytest.fixture
def menu_service(app, station):
    category = persist(app, ServiceCategory(station_id=station.id, name="关爱老人", sort_order=1))
    return persist(
        app,
        Service(
            station_id=station.id,
            category_id=category.id,
            title="送药上门",
            summary="把药送到家",
            published=True,
            requestable=True,
            sort_order=1,
        ),
    )


def service_url(service) -> str:
    return f"{MENU}services/{service.id}"


def etag(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.headers["ETag"]


def etags(client, service) -> tuple[str, str, str]:
    return etag(client, MENU), etag(client, service_url(service)), etag(client, "/")


# The cache and its validators ----------------------------------------------------------


def test_public_pages_carry_an_etag_and_answer_if_none_match_with_304(client, menu_service):
    for url in (MENU, service_url(menu_service), "/"):
        first = client.get(url)
        assert first.status_code == 200 and "送药上门" in first.get_data(as_text=True)
        assert first.headers["Cache-Control"] == "no-cache"
        assert "Cookie" in first.headers["Vary"]
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        other = client.get(url, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200


def test_a_cached_page_costs_one_small_statement_outside_sqlalchemy(
    client, menu_service, count_queries, plain_reads
):
    urls = (MENU, service_url(menu_service), "/")
    for url in urls:
        client.get(url)
    plain_reads.clear()
    with count_queries() as counter:
        for url in urls:
            assert client.get(url).status_code == 200
    assert counter.statements == [], "a hit read through a SQLAlchemy Connection"
    assert len(plain_reads) == len(urls), plain_reads
    assert all("public_version" in statement for statement in plain_reads)


def test_a_write_in_one_worker_is_seen_by_the_next_hit_in_another(app_factory):
    """Two apps on one database stand for two workers, each with a cache of its own."""
    reader, writer = app_factory(), app_factory()
    station = persist(writer, Station(slug="haiyuan-lidu", name="海源丽都小区党群驿站"))
    category = persist(writer, ServiceCategory(station_id=station.id, name="关爱老人", sort_order=1))
    service = persist(
        writer,
        Service(
            station_id=station.id, category_id=category.id, title="送药上门", published=True, sort_order=1
        ),
    )
    visitor = reader.test_client()
    visitor.get(MENU)
    cached = visitor.get(MENU)
    assert "送药上门" in cached.get_data(as_text=True)
    with writer.app_context():
        db.session.get(Service, service.id).title = "送菜上门"
        db.session.commit()
    fresh = visitor.get(MENU)
    assert "送菜上门" in fresh.get_data(as_text=True)
    assert fresh.headers["ETag"] != cached.headers["ETag"]


def test_languages_and_htmx_fragments_are_cached_apart(app, client, menu_service):
    reader = app.test_client()
    reader.set_cookie("lang", "en")
    chinese, english = client.get(MENU), reader.get(MENU)
    assert '<html lang="zh-CN">' in chinese.get_data(as_text=True)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert chinese.headers["ETag"] != english.headers["ETag"]
    fragment = client.get(MENU, headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and 'id="menu-results"' in fragment.get_data(
        as_text=True
    )
    assert "<html" in client.get(MENU).get_data(as_text=True)


def test_searches_and_unknown_categories_are_answered_but_not_kept(app, client, menu_service):
    assert "送药上门" in client.get(MENU + "?q=送药").get_data(as_text=True)
    assert client.get(MENU + "?category=999").status_code == 200
    store = app.extensions["public_cache"].store
    assert not any("q=" in key or "category=999" in key for key in store._cache)


# Every write that changes a public page changes its ETag --------------------------------


def changes_public_pages(client, service, write) -> None:
    before = etags(client, service)
    write()
    after = etags(client, service)
    for old, new, page in zip(before, after, ("menu", "service page", "/"), strict=True):
        assert old != new, f"{page} kept its ETag"


def test_editing_a_service_changes_the_pages(app, client, coordinator_client, menu_service):
    def edit():
        response = submit_form(
            coordinator_client, f"/menu/services/{menu_service.id}/edit", {"title": "送药到家"}
        )
        assert response.status_code == 302

    changes_public_pages(client, menu_service, edit)
    assert "送药到家" in client.get(service_url(menu_service)).get_data(as_text=True)


def test_renaming_a_category_changes_the_pages(client, coordinator_client, menu_service):
    def rename():
        path = f"/menu/categories/{menu_service.category_id}/rename"
        field = f"category-{menu_service.category_id}-name"
        assert submit_form(coordinator_client, "/menu/", {field: "敬老爱老"}, form=path).status_code == 302

    changes_public_pages(client, menu_service, rename)
    assert "敬老爱老" in client.get(MENU).get_data(as_text=True)


def test_unpublishing_and_publishing_change_the_pages(app, client, coordinator_client, menu_service):
    other = persist(
        app,
        Service(
            station_id=menu_service.station_id,
            category_id=menu_service.category_id,
            title="理发",
            published=False,
        ),
    )
    menu_before = etag(client, MENU)
    assert coordinator_client.post(f"/menu/services/{other.id}/publish").status_code == 302
    menu_published = etag(client, MENU)
    assert menu_published != menu_before and "理发" in client.get(MENU).get_data(as_text=True)
    assert coordinator_client.post(f"/menu/services/{other.id}/unpublish").status_code == 302
    assert etag(client, MENU) != menu_published and "理发" not in client.get(MENU).get_data(as_text=True)
    assert client.get(service_url(other)).status_code == 404


def test_station_details_change_the_pages(client, auth, station, menu_service):
    admin = auth.login(Role.ADMIN)

    def edit_station():
        changes = {"opening_hours": "每天 8:00–20:00", "phone": "13812345678"}  # the phone is on every page
        response = submit_form(admin, "/people/station", changes)
        assert response.status_code == 302

    changes_public_pages(client, menu_service, edit_station)
    assert "每天 8:00–20:00" in client.get(MENU).get_data(as_text=True)


def test_linked_activities_created_moved_and_cancelled_change_the_pages(
    client, coordinator_client, menu_service
):
    day = days_from_now(3).date()

    def create():
        changes = {
            "title": "送药日",
            "kind": ShiftKind.ACTIVITY.value,
            "service_id": str(menu_service.id),
            "day": day.isoformat(),
        }
        assert submit_form(coordinator_client, "/shifts/new", changes).status_code == 302

    changes_public_pages(client, menu_service, create)
    with coordinator_client.application.app_context():
        shift_id = db.session.scalar(sa.select(Shift.id).where(Shift.service_id == menu_service.id))

    def move():
        changes = {"day": (day + timedelta(days=1)).isoformat()}
        assert submit_form(coordinator_client, f"/shifts/{shift_id}/edit", changes).status_code == 302

    changes_public_pages(client, menu_service, move)

    def cancel():
        response = submit_form(coordinator_client, f"/shifts/{shift_id}/cancel")
        assert response.status_code == 302

    changes_public_pages(client, menu_service, cancel)


def test_a_duty_shift_of_no_service_leaves_the_pages_alone(client, coordinator_client, menu_service):
    before = etags(client, menu_service)
    changes = {"title": "驿站值班", "day": days_from_now(2).date().isoformat()}
    assert submit_form(coordinator_client, "/shifts/new", changes).status_code == 302
    assert etags(client, menu_service) == before


def test_a_bulk_update_of_public_records_changes_every_station(app, client, menu_service):
    before = etags(client, menu_service)
    with app.app_context():
        db.session.execute(sa.update(Service).values(summary="新的简介"))
        db.session.commit()
    assert all(old != new for old, new in zip(before, etags(client, menu_service), strict=True))


def test_the_version_is_bumped_in_the_same_transaction(app, menu_service):
    with app.app_context():
        version = db.session.scalar(sa.select(Station.public_version))
        service = db.session.get(Service, menu_service.id)
        service.title = "不会保存"
        db.session.flush()
        assert db.session.scalar(sa.select(Station.public_version)) == version + 1
        db.session.rollback()
        assert db.session.scalar(sa.select(Station.public_version)) == version


def test_a_shown_date_leaves_the_cached_page_when_it_starts(app, client, station, menu_service):
    persist(
        app,
        Shift(
            station_id=station.id,
            kind=ShiftKind.ACTIVITY,
            title="送药日",
            location="驿站",
            service_id=menu_service.id,
            starts_at=utcnow() + timedelta(seconds=1.5),
            ends_at=utcnow() + timedelta(hours=1),
        ),
    )
    with_date = client.get(MENU)
    assert "activity-dates" in with_date.get_data(as_text=True)
    time.sleep(1.6)
    without = client.get(MENU)
    assert "activity-dates" not in without.get_data(as_text=True)
    assert without.headers["ETag"] != with_date.headers["ETag"]


# Nothing personal or session-bound in a cached page --------------------------------------


def test_a_cached_page_carries_no_visitors_token_and_the_next_visitor_gets_the_same(app, menu_service):
    first, second = app.test_client(), app.test_client()
    form = first.get(f"{MENU}services/{menu_service.id}/request").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    page = first.get(MENU)
    html = page.get_data(as_text=True)
    assert token not in html and "csrf_token" not in html and "X-CSRFToken" not in html
    assert "Set-Cookie" not in page.headers
    assert second.get(MENU).data == page.data


def test_signed_in_staff_get_a_fresh_private_page_never_the_cache(app, client, auth, menu_service):
    staff = auth.login(Role.COORDINATOR, display_name="王书记")
    for url in (MENU, service_url(menu_service), "/"):
        response = staff.get(url)
        html = response.get_data(as_text=True)
        assert "王书记" in html and "X-CSRFToken" in html
        assert response.headers["Cache-Control"] == "private, no-cache" and "ETag" not in response.headers
        public = client.get(url).get_data(as_text=True)
        assert "王书记" not in public and "X-CSRFToken" not in public and "account-menu" not in public
    proxy_link = f"/requests/new?service={menu_service.id}"
    assert proxy_link in staff.get(service_url(menu_service)).get_data(as_text=True)
    assert proxy_link not in client.get(service_url(menu_service)).get_data(as_text=True)


def test_a_waiting_flash_message_is_shown_fresh_and_never_cached(app, client, menu_service):
    client.get(MENU)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "只给这位访客的消息")]
    assert "只给这位访客的消息" in client.get(MENU).get_data(as_text=True)
    assert "只给这位访客的消息" not in app.test_client().get(MENU).get_data(as_text=True)
    assert "只给这位访客的消息" not in client.get(MENU).get_data(as_text=True)


def test_the_language_switch_on_a_cached_page_works_without_a_token(client, menu_service):
    html = client.get(MENU).get_data(as_text=True)
    assert 'action="/language"' in html
    response = client.post("/language", data={"language": "en", "next": MENU}, headers=NO_CSRF_TOKEN)
    assert response.status_code == 302 and response.headers["Location"] == MENU
    assert '<html lang="en">' in client.get(MENU).get_data(as_text=True)


# Redis -----------------------------------------------------------------------------------


def test_with_redis_servers_share_one_copy(app_factory):
    prefix = f"test:{uuid.uuid4().hex}:"
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
    one = app_factory(REDIS_URL=url, PUBLIC_CACHE_KEY_PREFIX=prefix)
    two = app_factory(REDIS_URL=url, PUBLIC_CACHE_KEY_PREFIX=prefix)
    persist(one, Station(slug="haiyuan-lidu", name="海源丽都小区党群驿站"))
    try:
        tag = etag(one.test_client(), MENU)
        renders = []

        def record(sender, template, **extra):
            renders.append(template.name)

        template_rendered.connect(record, two)
        assert etag(two.test_client(), MENU) == tag
        assert renders == [], "the second server rendered the page instead of taking the shared copy"
    finally:
        one.extensions["public_cache"].clear()


# Compression and static files ------------------------------------------------------------


@pytest.mark.parametrize("encoding, decompress", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_pages_are_compressed_for_clients_that_accept_it(client, menu_service, encoding, decompress):
    plain = client.get(MENU, headers={"Accept-Encoding": "identity"})
    packed = client.get(MENU, headers={"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding and "Content-Encoding" not in plain.headers
    assert decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 2
    assert packed.headers["ETag"] != plain.headers["ETag"]
    login = client.get("/auth/login", headers={"Accept-Encoding": encoding})
    assert login.headers["Content-Encoding"] == encoding and b"csrf_token" in decompress(login.data)


def test_static_files_have_fingerprinted_addresses_cached_for_a_year(client, menu_service):
    html = client.get(MENU).get_data(as_text=True)
    addresses = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", address) for address in addresses} == {
        "/static/css/app.css",
        "/static/favicon.ico",
        "/static/js/confirm.js",
        "/static/vendor/htmx-2.0.11.min.js",
    }
    for address in addresses:
        response = client.get(address, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = client.get(address.replace(re.search(r"\.[0-9a-f]{12}\.", address).group(0), "."))
        if address.endswith(".ico"):  # a 150-byte binary icon is sent as it is
            assert "Content-Encoding" not in response.headers and response.data == plain.data
        else:
            assert response.headers["Content-Encoding"] == "br"
            assert brotli.decompress(response.data) == plain.data
        assert plain.headers["Cache-Control"] == "public, no-cache"
    assert client.get("/static/css/app.000000000000.css").status_code == 404
    assert client.get("/static/../scheduler/config.py").status_code == 404


def test_a_changed_file_gets_a_new_address(tmp_path):
    (tmp_path / "app.css").write_text("body { color: black }")
    before = build_manifest(str(tmp_path)).hashed["app.css"]
    (tmp_path / "app.css").write_text("body { color: navy }")
    build_manifest.cache_clear()
    after = build_manifest(str(tmp_path)).hashed["app.css"]
    assert before != after and before.startswith("app.") and before.endswith(".css")


def test_a_cached_page_for_a_visitor_without_session_is_answered_before_flask(app, client, menu_service):
    started = []

    def record(sender, **extra):
        started.append(1)

    request_started.connect(record, app)
    first = client.get(MENU)
    assert started == [1], "the first visit renders the page in the app"
    again = client.get(MENU)
    head = client.head(MENU)
    assert started == [1], "later visits are answered from the cache, before Flask runs"
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == first.headers["ETag"]
    for name in ("Content-Security-Policy", "X-Frame-Options", "Cache-Control", "Vary"):
        assert again.headers[name] == first.headers[name]
    assert client.get(MENU, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert started == [1]
    with client.session_transaction() as session:
        session["csrf_token"] = "a visitor with a session"
    assert client.get(MENU).data == first.data
    assert started == [1, 1], "a visitor with a session cookie goes through the app"
