"""Shared page behaviour: language choice, error pages, fragments for htmx, notices."""

import pytest

from scheduler.extensions import db
from scheduler.models import Notice, Role


def test_chinese_is_the_default_language(client, station):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "工作人员登录" in html


def test_language_choice_is_remembered(client, station):
    response = client.post("/language", data={"language": "en", "next": "/auth/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Staff sign-in" in html
    client.post("/language", data={"language": "zh"})
    assert "工作人员登录" in client.get("/auth/login").get_data(as_text=True)


def test_unknown_language_and_foreign_next_are_ignored(client, station):
    response = client.post("/language", data={"language": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("path, code, text", [("/no-such-page", 404, "找不到这个页面")])
def test_error_pages_use_the_app_layout(client, path, code, text):
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == code and text in html and 'class="topbar"' in html


def test_htmx_error_answers_are_fragments(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "<html" not in html and "找不到这个页面" in html


def test_unexpected_error_shows_the_500_page(app_factory):
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    @app.get("/explode")
    def explode():
        raise RuntimeError("boom")

    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert "系统出了点问题" in response.get_data(as_text=True)


def add_notice(app, user, text):
    with app.app_context():
        notice = Notice(user_id=user.id, text=text)
        db.session.add(notice)
        db.session.commit()
        return notice.id


def test_notices_show_on_my_page_until_dismissed(app, volunteer_client):
    notice_id = add_notice(app, volunteer_client.user, "周三值班已取消")
    assert "周三值班已取消" in volunteer_client.get("/me").get_data(as_text=True)
    response = volunteer_client.post(f"/me/notices/{notice_id}/dismiss")
    assert response.status_code == 302
    assert "周三值班已取消" not in volunteer_client.get("/me").get_data(as_text=True)


def test_dismissing_with_htmx_returns_only_the_notices_block(app, volunteer_client):
    first = add_notice(app, volunteer_client.user, "第一条")
    add_notice(app, volunteer_client.user, "第二条")
    response = volunteer_client.post(f"/me/notices/{first}/dismiss", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="notices"' in html
    assert "第二条" in html and "第一条" not in html
    assert 'id="flashes"' in html and 'hx-swap-oob="true"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_full_page_for_boosted_and_history_restore_requests(volunteer_client):
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        html = volunteer_client.get("/me", headers={"HX-Request": "true", header: "true"}).get_data(
            as_text=True
        )
        assert "<html" in html


def test_nobody_dismisses_someone_elses_notice(app, auth):
    owner = auth.login(Role.VOLUNTEER)
    intruder = auth.login(Role.VOLUNTEER)
    notice_id = add_notice(app, owner.user, "私人通知")
    assert intruder.post(f"/me/notices/{notice_id}/dismiss").status_code == 404
    assert "私人通知" in owner.get("/me").get_data(as_text=True)


def test_several_stations_are_listed_at_the_root(client, make_station):
    first, second = make_station(name="甲驿站"), make_station(name="乙驿站")
    html = client.get("/").get_data(as_text=True)
    assert "甲驿站" in html and "乙驿站" in html
    assert f"/s/{first.slug}/" in html and f"/s/{second.slug}/" in html


def test_the_only_station_is_shown_at_the_root(client, station):
    assert station.name in client.get("/").get_data(as_text=True)
