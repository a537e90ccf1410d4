"""Headers, cookies and CSRF protection on every response and state change."""

import re

from scheduler.models import Role
from tests.conftest import NO_CSRF_TOKEN, TEST_PASSWORD


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


def test_https_switch_adds_hsts_and_secure_cookies(app_factory, make_user):
    app = app_factory(HTTPS=True)
    client = app.test_client()
    response = client.get("/auth/login", base_url="https://station.test")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user(Role.VOLUNTEER)
    response = client.post("/auth/login", data={"username": user.username, "password": TEST_PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


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
