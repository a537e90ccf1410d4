"""Every route, every role: who gets in, who is sent to sign in, who is refused.

Each endpoint is either listed here as public or guarded by ``roles_required``,
whose roles the test reads from the view; a new route without either fails here.
"""

import re

import pytest

from scheduler.models import Kind, Role

PUBLIC_ENDPOINTS = {
    "static",
    "main.healthz",
    "main.set_language",
    "menu.index",
    "menu.station_menu",
    "menu.service_page",
    "menu.poster",
    "menu.request_service",
    "menu.follow_up",
    "menu.rate",
    "auth.login",
    "auth.logout",
    "shifts.feed",  # guarded by its secret token
    "people.invitation",  # guarded by its one-time token
}


def example_url(rule) -> str:
    """Fill a rule's arguments with plausible values (ids that may not exist → 404 is fine)."""
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument].__class__.__name__
        values[argument] = 1 if converter == "IntegerConverter" else "x"
    return re.sub(r"<[^>]+>", lambda m: str(values[m.group(0)[1:-1].split(":")[-1]]), rule.rule)


def guarded_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        yield rule, getattr(view, "allowed_roles", None)


def method_of(rule) -> str:
    return "GET" if "GET" in rule.methods else "POST"


def test_every_route_is_public_or_guarded_by_roles(app):
    unguarded = [rule.endpoint for rule, roles in guarded_rules(app) if roles is None]
    assert unguarded == [], "add roles_required or list the endpoint as public"


def test_anonymous_visitor_is_sent_to_sign_in_everywhere_guarded(app, client):
    for rule, _roles in guarded_rules(app):
        response = client.open(example_url(rule), method=method_of(rule))
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/auth/login"), rule.rule


def test_anonymous_htmx_request_gets_401_with_a_redirect_to_sign_in(app, client):
    for rule, _roles in guarded_rules(app):
        response = client.open(example_url(rule), method=method_of(rule), headers={"HX-Request": "true"})
        assert response.status_code == 401, rule.rule
        assert response.headers["HX-Redirect"] == "/auth/login"


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_where_it_does_not_belong(app, auth, role):
    client = auth.login(role)
    for rule, roles in guarded_rules(app):
        if role in roles:
            continue
        response = client.open(example_url(rule), method=method_of(rule))
        assert response.status_code == 403, f"{role} reached {rule.rule}"
        assert "无权访问" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_its_pages_without_error(app, auth, role):
    # Building heads are the volunteers who may do most (file requests for residents).
    client = auth.login(role, kind=Kind.BUILDING_HEAD) if role == Role.VOLUNTEER else auth.login(role)
    for rule, roles in guarded_rules(app):
        if role not in roles or method_of(rule) != "GET":
            continue
        response = client.get(example_url(rule))
        assert response.status_code in (200, 302, 404), f"{role} {rule.rule}: {response.status_code}"


@pytest.mark.parametrize(
    "role, visible, hidden",
    [
        (Role.VOLUNTEER, ["/me"], ["/people/", "/people/stations"]),
        (Role.COORDINATOR, ["/me"], ["/people/", "/people/stations"]),
        (Role.ADMIN, ["/me", "/people/"], ["/people/stations"]),
        (Role.SUPERADMIN, ["/people/stations"], ["/people/", "/me"]),
    ],
)
def test_navigation_shows_each_role_only_what_it_may_use(auth, role, visible, hidden):
    client = auth.login(role)
    home = "/people/stations" if role == Role.SUPERADMIN else "/me"
    nav = re.search(r'<nav class="nav".*?</nav>', client.get(home).get_data(as_text=True), re.S).group(0)
    for path in visible:
        assert f'href="{path}"' in nav
    for path in hidden:
        assert f'href="{path}"' not in nav
