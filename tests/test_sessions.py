"""Sessions end when they should: replaying a device's cookies after each way of signing out.

Each test takes the path a person takes (the sign-in form, the buttons in the account menu,
the secretary's account form) and then replays copies of the cookies a thief or a shared
computer would still hold.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.auth.services import load_user_from_session_id
from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import CalendarFeed, Role, UserSession
from tests.conftest import TEST_PASSWORD
from tests.forms import answer_yes, submit_form

NEW_PASSWORD = "a-new-long-secret"


def sign_in(app, user, remember=False):
    """A new browser (device) that signs in through the form."""
    device = app.test_client()
    response = submit_form(
        device, "/auth/login", {"username": user.username, "password": TEST_PASSWORD, "remember": remember}
    )
    assert response.status_code == 302
    return device


def copy_of(app, device, names=("session", "remember_token")):
    """Another browser holding copies of some of this device's cookies."""
    copy = app.test_client()
    for name in names:
        cookie = device.get_cookie(name)
        assert cookie is not None, f"the device has no {name} cookie"
        copy.set_cookie(name, cookie.value)
    return copy


def signed_in(client) -> bool:
    response = client.get("/me")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def press(device, action):
    """Press a button of the account menu on /me (a form posting to ``action``)."""
    return submit_form(device, "/me", form=action)


def feed_token(app, user_id) -> str | None:
    with app.app_context():
        return db.session.scalar(sa.select(CalendarFeed.token).where(CalendarFeed.user_id == user_id))


def make_feed(app, device, user_id) -> str:
    assert device.post("/shifts/feed").status_code in (200, 302, 303)
    token = feed_token(app, user_id)
    assert device.get(f"/shifts/feed/{token}.ics").status_code == 200
    return token


@pytest.fixture
def volunteer(make_user):
    return make_user(Role.VOLUNTEER)


def test_sign_out_ends_a_copied_session_cookie(app, volunteer):
    phone = sign_in(app, volunteer)
    stolen = copy_of(app, phone, names=("session",))
    assert signed_in(stolen)
    assert press(phone, "/auth/logout").status_code == 302
    assert not signed_in(phone)
    assert not signed_in(stolen)


def test_sign_out_ends_the_remember_cookie_and_its_copies(app, volunteer):
    phone = sign_in(app, volunteer, remember=True)
    remember_only = copy_of(app, phone, names=("remember_token",))
    both = copy_of(app, phone)
    assert signed_in(remember_only), "before signing out, the remember cookie alone signs in"
    press(phone, "/auth/logout")
    assert not signed_in(remember_only)
    assert not signed_in(both)
    assert not signed_in(phone)


def test_sign_out_on_one_device_leaves_the_others_signed_in(app, volunteer):
    phone = sign_in(app, volunteer, remember=True)
    station_pc = sign_in(app, volunteer)
    press(station_pc, "/auth/logout")
    assert not signed_in(station_pc)
    assert signed_in(phone)
    assert signed_in(copy_of(app, phone, names=("remember_token",)))


def test_sign_out_everywhere_ends_every_device_and_renews_the_feed(app, volunteer):
    phone = sign_in(app, volunteer, remember=True)
    tablet = sign_in(app, volunteer, remember=True)
    copies = [copy_of(app, tablet), copy_of(app, tablet, names=("remember_token",))]
    old_token = make_feed(app, phone, volunteer.id)

    assert press(phone, "/auth/logout-everywhere").status_code == 302
    assert not any(signed_in(device) for device in (phone, tablet, *copies))
    assert phone.get(f"/shifts/feed/{old_token}.ics").status_code == 404
    new_token = feed_token(app, volunteer.id)
    assert new_token and new_token != old_token
    assert app.test_client().get(f"/shifts/feed/{new_token}.ics").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 0


def test_password_change_keeps_this_device_ends_others_and_renews_the_feed(app, volunteer):
    phone = sign_in(app, volunteer, remember=True)
    old_remember = copy_of(app, phone, names=("remember_token",))
    laptop = sign_in(app, volunteer)
    old_token = make_feed(app, phone, volunteer.id)

    response = submit_form(
        phone,
        "/auth/password",
        {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert signed_in(phone)
    assert not signed_in(laptop)
    assert not signed_in(old_remember)
    # This device chose "keep me signed in": it gets a new remember cookie that works alone.
    assert signed_in(copy_of(app, phone, names=("remember_token",)))
    assert app.test_client().get(f"/shifts/feed/{old_token}.ics").status_code == 404
    assert feed_token(app, volunteer.id) != old_token


def test_a_reset_through_a_fresh_link_ends_the_old_sessions_and_renews_the_feed(app, admin_client, volunteer):
    phone = sign_in(app, volunteer)
    old_token = make_feed(app, phone, volunteer.id)
    slip = submit_form(
        admin_client, f"/people/{volunteer.id}/edit", form=f"/people/{volunteer.id}/invitation"
    )
    assert slip.status_code == 200
    assert signed_in(phone), "issuing a link signs nobody out; setting the new password does"
    link = re.search(r"http://station\.test(/people/invite/[\w-]+)", slip.get_data(as_text=True)).group(1)
    new_phone = app.test_client()
    changes = {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert submit_form(new_phone, link, changes).status_code == 302
    assert signed_in(new_phone)
    assert not signed_in(phone)
    assert feed_token(app, volunteer.id) != old_token


def test_switching_an_account_off_ends_its_copied_cookies(app, admin_client, volunteer):
    phone = sign_in(app, volunteer, remember=True)
    copies = [copy_of(app, phone), copy_of(app, phone, names=("remember_token",))]
    response = answer_yes(
        admin_client, submit_form(admin_client, f"/people/{volunteer.id}/edit", {"active": False})
    )
    assert response.status_code == 302
    assert not any(signed_in(device) for device in (phone, *copies))


def test_signing_in_starts_a_new_session_with_a_new_csrf_token(app, volunteer):
    """No session fixation: what a visitor's browser held before signing in is worth nothing after."""
    browser = app.test_client()
    page = browser.get("/auth/login").get_data(as_text=True)
    planted_token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    planted_cookie = browser.get_cookie("session").value
    submit_form(browser, "/auth/login", {"username": volunteer.username, "password": TEST_PASSWORD})
    assert signed_in(browser)
    assert browser.get_cookie("session").value != planted_cookie
    # A token known before signing in (e.g. planted by someone else) is refused afterwards.
    response = browser.post("/auth/logout", data={"csrf_token": planted_token})
    assert response.status_code == 400
    assert signed_in(browser)
    # And the cookie from before signing in is still a visitor's.
    before = app.test_client()
    before.set_cookie("session", planted_cookie)
    assert not signed_in(before)


def test_each_sign_in_is_its_own_device_session(app, volunteer):
    first, second = sign_in(app, volunteer), sign_in(app, volunteer)
    assert first.get_cookie("session").value != second.get_cookie("session").value
    with app.app_context():
        hashes = db.session.scalars(sa.select(UserSession.key_hash)).all()
    assert len(set(hashes)) == 2


def test_a_session_ends_when_its_time_is_up(app, volunteer):
    phone = sign_in(app, volunteer, remember=True)
    remember_only = copy_of(app, phone, names=("remember_token",))
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        assert row.expires_at - row.created_at == timedelta(days=30)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert not signed_in(phone)
    assert not signed_in(remember_only)


def test_a_sign_in_clears_away_sessions_whose_time_is_up_this_very_instant(app, volunteer):
    signed_in = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    with time_machine.travel(signed_in, tick=False):
        sign_in(app, volunteer, remember=True)
    with time_machine.travel(signed_in + app.config["REMEMBER_COOKIE_DURATION"], tick=False):
        sign_in(app, volunteer)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 1, "only the new one"


@pytest.mark.parametrize("session_id", ["{id}:1", "{id}:1:", "{id}:1:{key}:x", "x:1:{key}", "{id}:2:{key}"])
def test_malformed_or_outdated_session_ids_are_refused(app, volunteer, session_id):
    phone = sign_in(app, volunteer)
    with phone.session_transaction() as session:
        user_id, version, key = session["_user_id"].split(":")
    assert (user_id, version) == (str(volunteer.id), "1")
    with app.test_request_context():
        assert load_user_from_session_id(f"{user_id}:{version}:{key}").id == volunteer.id
        assert load_user_from_session_id(session_id.format(id=user_id, key=key)) is None
