"""Invitation links: one-time, expiring, revocable set-password links, stored only hashed."""

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Invitation, Role, User
from scheduler.people.invitations import issue_invitation, use_invitation
from scheduler.people.services import create_invited_account
from scheduler.rules import RuleViolation
from tests.conftest import TEST_PASSWORD
from tests.forms import submit_form

NEW_PASSWORD = "window-garden-2026"


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def path_of(link: str) -> str:
    return link.removeprefix("http://station.test")


def choose_password(client, link: str, password: str = NEW_PASSWORD, again: str | None = None):
    """Open the link and type a password twice, as the new person does."""
    changes = {"new_password": password, "confirm_password": password if again is None else again}
    return submit_form(client, path_of(link), changes)


@pytest.fixture
def invite(app, make_user):
    """``invite(user=None)``: a fresh link for a (new, password-less) volunteer, as an admin issues it."""

    def make(user: User | None = None) -> tuple[User, str]:
        admin = make_user(Role.ADMIN)
        with app.app_context():
            if user is None:
                user, link = create_invited_account(
                    issued_by=db.session.get(User, admin.id),
                    station_id=admin.station_id,
                    username=f"new{admin.id}",
                    display_name="王新人",
                    role=Role.VOLUNTEER,
                )
            else:
                link = issue_invitation(db.session.get(User, user.id), db.session.get(User, admin.id))
                db.session.commit()
            user_id = user.id
        return user_id, link

    return make


def test_issue_invitation_gives_an_absolute_link_and_stores_only_the_hash(app, invite):
    user_id, link = invite()
    assert re.fullmatch(r"http://station\.test/people/invite/[A-Za-z0-9_-]{43}", link)
    token = token_of(link)
    with app.app_context():
        invitation = db.session.scalar(sa.select(Invitation).where(Invitation.user_id == user_id))
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        hours = (invitation.expires_at - invitation.created_at) / timedelta(hours=1)
        assert hours == 72
        # The raw token is nowhere in the database.
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                assert token not in " ".join(str(value) for value in row)


def test_valid_hours_come_from_the_configuration(app_factory, make_station):
    app = app_factory(INVITATION_VALID_HOURS=5)
    station = make_station()
    with app.app_context():
        admin = User(username="boss", display_name="书记", role=Role.ADMIN, station_id=station.id)
        admin.password_hash = "!"
        db.session.add(admin)
        db.session.flush()
        create_invited_account(
            issued_by=admin,
            station_id=station.id,
            username="newbie",
            display_name="新人",
            role=Role.VOLUNTEER,
        )
        invitation = db.session.scalar(sa.select(Invitation))
        assert invitation.expires_at - invitation.created_at == timedelta(hours=5)


def test_a_new_invitation_revokes_the_earlier_open_one(app, invite):
    user_id, first = invite()
    with app.app_context():
        user = db.session.get(User, user_id)
    _same, second = invite(user)
    with app.app_context():
        with pytest.raises(RuleViolation):
            use_invitation(token_of(first), NEW_PASSWORD)
        assert use_invitation(token_of(second), NEW_PASSWORD).id == user_id


def test_issue_invitation_does_not_commit(app, invite, make_user):
    person = make_user(Role.VOLUNTEER)
    admin = make_user(Role.ADMIN)
    with app.app_context():
        issue_invitation(db.session.get(User, person.id), db.session.get(User, admin.id))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_link_works_once_signs_in_lands_on_me_then_says_used(app, invite):
    user_id, link = invite()
    browser = app.test_client()
    page = browser.get(path_of(link))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "王新人" in html and "new" in html
    response = choose_password(browser, link)
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    assert browser.get("/me").status_code == 200
    again = app.test_client().get(path_of(link))
    assert again.status_code == 410
    assert "此链接已经用过" in again.get_data(as_text=True)
    # The password works for an ordinary sign-in.
    with app.app_context():
        username = db.session.get(User, user_id).username
    login = app.test_client().post("/auth/login", data={"username": username, "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_a_weak_password_is_refused_next_to_the_field_and_the_link_still_works(app, invite):
    _user_id, link = invite()
    browser = app.test_client()
    response = choose_password(browser, link, "12345678")
    assert response.status_code == 422
    assert "太常见" in response.get_data(as_text=True)
    response = choose_password(browser, link, NEW_PASSWORD, again="other")
    assert response.status_code == 422
    assert browser.get(path_of(link)).status_code == 200


def test_expired_link_says_expired(app, invite):
    _user_id, link = invite()
    with app.app_context():
        db.session.execute(sa.update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    response = app.test_client().get(path_of(link))
    assert response.status_code == 410
    assert "此链接已过期" in response.get_data(as_text=True)
    posted = app.test_client().post(
        path_of(link), data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert posted.status_code == 410


def test_unknown_token_is_404(app):
    assert app.test_client().get("/people/invite/not-a-real-token").status_code == 404


def test_a_new_password_ends_the_persons_other_sessions(app, invite, auth, make_user):
    person = make_user(Role.VOLUNTEER)
    old_phone = auth.login(user=person)
    assert old_phone.get("/me").status_code == 200
    with app.app_context():
        user = db.session.get(User, person.id)
    _id, link = invite(user)
    assert choose_password(app.test_client(), link).status_code == 302
    assert old_phone.get("/me").status_code == 302
    login = app.test_client().post(
        "/auth/login", data={"username": person.username, "password": TEST_PASSWORD}
    )
    assert login.status_code == 422


def test_token_endpoint_is_rate_limited_per_address(app_factory):
    app = app_factory(INVITATION_LIMIT_PER_ADDRESS="3 per minute")
    client = app.test_client()
    statuses = [client.get(f"/people/invite/guess-{n}").status_code for n in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
