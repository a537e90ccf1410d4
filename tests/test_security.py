"""Headers, cookies and CSRF protection on every response and state change."""

import re

import pytest

from scheduler.config import _flag
from scheduler.models import Kind, Role, Station, User
from tests.conftest import NO_CSRF_TOKEN, TEST_PASSWORD, TEST_PASSWORD_HASH, persist


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/auth/login", "/no-such-page", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "object-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]
        assert "Strict-Transport-Security" not in headers


def signed_in_cookies(app, make_user, base_url: str) -> dict[str, str]:
    """The Set-Cookie headers of a sign-in with "keep me signed in", by cookie name."""
    user = make_user(Role.VOLUNTEER)
    response = app.test_client().post(
        "/auth/login",
        data={"username": user.username, "password": TEST_PASSWORD, "remember": "y"},
        base_url=base_url,
        headers={"Referer": f"{base_url}/auth/login"},  # Flask-WTF checks it over HTTPS, as browsers send it
    )
    assert response.status_code == 302
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def volunteer_maker(app):
    """Make a volunteer of a new station in ``app``'s database."""

    def make(role: Role) -> User:
        station = persist(app, Station(slug="https-station", name="驿站"))
        return persist(
            app,
            User(
                username="https-volunteer",
                display_name="志愿者",
                role=role,
                station_id=station.id,
                password_hash=TEST_PASSWORD_HASH,
                kind=Kind.RESIDENT_VOLUNTEER,
            ),
        )

    return make


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


@pytest.mark.parametrize("name", ["session", "remember_token"])
def test_sign_in_cookies_are_httponly_samesite_lax_and_not_secure_over_http(app, make_user, name):
    header = signed_in_cookies(app, make_user, "http://localhost")[name]
    assert "httponly" in cookie_attributes(header) and "SameSite=Lax" in header
    assert "secure" not in cookie_attributes(header)


@pytest.mark.parametrize("name", ["session", "remember_token"])
def test_https_switch_makes_the_sign_in_cookies_secure_and_adds_hsts(app_factory, monkeypatch, name):
    monkeypatch.setenv("HTTPS", "1")
    assert _flag("HTTPS"), "HTTPS=1 in the environment turns the switch on"
    app = app_factory(HTTPS=True)
    header = signed_in_cookies(app, volunteer_maker(app), "https://localhost")[name]
    assert {"httponly", "secure"} <= cookie_attributes(header) and "SameSite=Lax" in header
    response = app.test_client().get("/auth/login", base_url="https://station.test")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_pages_load_nothing_from_another_host(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script>" not in html, "no inline scripts: the CSP would block them"


def test_form_post_without_csrf_token_is_refused(client, make_station):
    response = client.post("/auth/login", data={"username": "x", "password": "y"}, headers=NO_CSRF_TOKEN)
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_htmx_post_needs_the_csrf_header(client, make_station):
    html = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    without = client.post("/auth/logout", headers={"HX-Request": "true", **NO_CSRF_TOKEN})
    assert without.status_code == 400
    with_header = client.post("/auth/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert with_header.status_code == 302


def test_language_switch_needs_no_token_and_stays_within_the_site(client):
    """It only sets the visitor's own language cookie, so cached public pages can carry it."""
    response = client.post(
        "/language", data={"language": "en", "next": "//evil.example/"}, headers=NO_CSRF_TOKEN
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "lang=en" in response.headers["Set-Cookie"]


def test_get_requests_change_nothing(client):
    """Sign-out and the language switch are POST-only."""
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/language?language=en").status_code == 405
