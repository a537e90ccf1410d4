"""Signing in and out, remembered devices, and everything that ends a session."""

import logging
import re

import pytest

from scheduler.extensions import db
from scheduler.models import Role, User
from tests.conftest import TEST_PASSWORD, form_error


def login(client, username, password=TEST_PASSWORD, **extra):
    return client.post("/auth/login", data={"username": username, "password": password, **extra})


def test_login_with_right_password_lands_on_my_page(client, make_user):
    user = make_user(Role.VOLUNTEER)
    response = login(client, user.username)
    assert response.status_code == 302
    assert response.headers["Location"] == "/me"
    assert client.get("/me").status_code == 200


def test_username_is_case_insensitive(client, make_user):
    make_user(Role.VOLUNTEER, username="wangjg")
    assert login(client, "WangJG").status_code == 302


@pytest.mark.parametrize("username, password", [("ghost", TEST_PASSWORD), ("known", "wrong-password")])
def test_failed_login_gives_one_generic_message(client, make_user, username, password):
    make_user(Role.VOLUNTEER, username="known")
    response = login(client, username, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "用户名或密码不正确" in html
    assert f'value="{username}"' in html, "the username typed is kept"
    assert client.get("/me").status_code == 302


def test_deactivated_account_cannot_sign_in_and_is_told_to_ask_the_station(client, make_user):
    user = make_user(Role.VOLUNTEER, active=False)
    response = login(client, user.username)
    assert response.status_code == 422
    assert "此账号已停用，请联系驿站。" in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_a_wrong_password_does_not_reveal_that_an_account_is_switched_off(client, make_user):
    user = make_user(Role.VOLUNTEER, active=False)
    html = login(client, user.username, "not-the-password-9").get_data(as_text=True)
    assert "用户名或密码不正确" in html and "停用" not in html


def test_login_attempts_are_logged_without_the_password(client, make_user, caplog):
    user = make_user(Role.VOLUNTEER)
    with caplog.at_level(logging.INFO, logger="scheduler.auth"):
        login(client, user.username, "not-the-password-9")
        login(client, user.username)
    text = caplog.text
    assert "login failed" in text and "login succeeded" in text
    assert "not-the-password-9" not in text and TEST_PASSWORD not in text


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/people/", "/people/"),
        ("https://evil.example/phish", "/me"),
        ("//evil.example/", "/me"),
        ("/\\evil.example", "/me"),
        ("javascript:alert(1)", "/me"),
    ],
)
def test_next_redirect_stays_on_this_site(client, make_user, target, expected):
    user = make_user(Role.ADMIN)
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"username": user.username, "password": TEST_PASSWORD},
    )
    assert response.headers["Location"] == expected


def test_logout_ends_the_session(volunteer_client):
    response = volunteer_client.post("/auth/logout")
    assert response.status_code == 302
    assert volunteer_client.get("/me").status_code == 302


def test_remember_me_sets_a_cookie_of_at_most_30_days(client, make_user):
    user = make_user(Role.VOLUNTEER)
    response = login(client, user.username, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie
    # Without the session cookie, the remember cookie alone signs the person in.
    fresh = client.application.test_client()
    fresh.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert fresh.get("/me").status_code == 200


def replay_cookies(app, source_client):
    """A second browser holding copies of the first one's cookies."""
    copy = app.test_client()
    for name in ("session", "remember_token"):
        cookie = source_client.get_cookie(name)
        if cookie is not None:
            copy.set_cookie(name, cookie.value)
    return copy


def test_logout_everywhere_kills_copied_cookies(app, client, make_user):
    user = make_user(Role.VOLUNTEER)
    login(client, user.username, remember="y")
    stolen = replay_cookies(app, client)
    assert stolen.get("/me").status_code == 200
    client.post("/auth/logout-everywhere")
    assert stolen.get("/me").status_code == 302


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, make_user):
    user = make_user(Role.VOLUNTEER)
    login(client, user.username, remember="y")
    other_device = replay_cookies(app, client)
    response = client.post(
        "/auth/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "a-new-long-secret",
            "confirm_password": "a-new-long-secret",
        },
    )
    assert response.status_code == 302
    assert client.get("/me").status_code == 200
    assert other_device.get("/me").status_code == 302
    client.post("/auth/logout")
    assert login(client, user.username, "a-new-long-secret").status_code == 302


def test_deactivation_ends_existing_sessions(app, volunteer_client):
    with app.app_context():
        db.session.get(User, volunteer_client.user.id).active = False
        db.session.commit()
    assert volunteer_client.get("/me").status_code == 302


@pytest.mark.parametrize(
    "new_password, message",
    [
        ("short1", "至少使用 8 个字符"),
        ("12345678", "太常见"),
        ("password123", "太常见"),
        ("aaaaaaaaaa", "太常见"),
    ],
)
def test_weak_new_password_is_refused_with_a_message(volunteer_client, new_password, message):
    response = volunteer_client.post(
        "/auth/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_password_change_needs_the_current_password(volunteer_client):
    response = volunteer_client.post(
        "/auth/password",
        data={
            "current_password": "wrong-one-here",
            "new_password": "a-new-long-secret",
            "confirm_password": "a-new-long-secret",
        },
    )
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "current_password") == "当前密码不正确。"


def test_wrong_current_passwords_spend_the_persons_budget_then_wait(app, volunteer_client, caplog):
    """A signed-in phone left unattended must not let someone guess the password behind it."""
    app.config["LOGIN_LIMIT_KNOWN_DEVICE"] = "3 per 15 minutes"

    def change(current):
        new = "a-new-long-secret"
        data = {"current_password": current, "new_password": new, "confirm_password": new}
        return volunteer_client.post("/auth/password", data=data)

    assert [change(f"guess-number-{n}").status_code for n in range(3)] == [422, 422, 422]
    with caplog.at_level(logging.WARNING, logger="scheduler.auth"):
        held = change(TEST_PASSWORD)  # even the right one waits until the window ends
    assert held.status_code == 429 and int(held.headers["Retry-After"]) > 0
    # The same fields as a failed sign-in's line: a search of the log for the account finds it.
    who = f"user_id={volunteer_client.user.id} username={volunteer_client.user.username}"
    assert re.fullmatch(
        rf"password change throttled {who} address=127\.0\.0\.1 wait=\d+s", caplog.messages[-1]
    )
    assert "请等待" in held.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.role == Role.VOLUNTEER))
        assert user.check_password(TEST_PASSWORD), "the password changed while held back"


def test_sign_in_costs_one_real_hash_check_whatever_the_account(app, client, make_user, monkeypatch):
    """Accounts without a password yet (invited) answer as slowly as real ones: no timing tell."""
    from scheduler.auth import services
    from scheduler.models.core import NO_PASSWORD_YET

    invited = make_user(Role.VOLUNTEER, username="invited")
    make_user(Role.VOLUNTEER, username="has.password")
    with app.app_context():
        db.session.get(User, invited.id).password_hash = NO_PASSWORD_YET
        db.session.commit()
    dummy_checks = []
    real_dummy = services._dummy_hash
    monkeypatch.setattr(services, "_dummy_hash", lambda: dummy_checks.append(1) or real_dummy())
    for username, expected in [("ghost", 1), ("invited", 1), ("has.password", 0)]:
        dummy_checks.clear()
        assert login(client, username, "whatever-typed-1").status_code == 422
        assert len(dummy_checks) == expected, username


def test_password_must_not_contain_username(client, make_user):
    user = make_user(Role.VOLUNTEER, username="zhanghua")
    login(client, user.username)
    response = client.post(
        "/auth/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "zhanghua-2026",
            "confirm_password": "zhanghua-2026",
        },
    )
    assert "不能包含用户名" in response.get_data(as_text=True)
