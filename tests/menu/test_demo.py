"""The demo station shows a living menu and requests in every state, however often it is seeded."""

import sqlalchemy as sa

from scheduler.demo import DEFAULT_DEMO_PASSWORD, seed_demo
from scheduler.extensions import db
from scheduler.models import RequestState, Service, ServiceCategory, ServiceRequest


def snapshot():
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(ServiceCategory)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Service)),
        db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest)),
    )


def test_demo_menu_and_requests_are_seeded_once(app, demo):
    with app.app_context():
        first = snapshot()
        seed_demo(DEFAULT_DEMO_PASSWORD)
        assert snapshot() == first
        states = set(db.session.scalars(sa.select(ServiceRequest.state)))
        assert states == set(RequestState)
        assert db.session.scalar(sa.select(sa.func.count()).where(ServiceRequest.rating.is_not(None))) >= 2
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(ServiceRequest.filed_by_id.is_not(None))) >= 1
        )
        assert db.session.scalar(sa.select(sa.func.count()).where(Service.published.is_(False))) >= 1
    assert first[0] == 5 and first[1] >= 10


def test_demo_pages_answer(app, demo):
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert "关爱老人" in html and "送药上门" in html and "法律咨询" not in html
    client.post("/auth/login", data={"username": "coordinator", "password": DEFAULT_DEMO_PASSWORD})
    for url in ("/requests", "/requests?state=all", "/requests/ratings", "/menu/", "/me"):
        assert client.get(url).status_code == 200, url
