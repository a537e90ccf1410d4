"""`seed-demo` lists people on the board, once however often it runs: `make run` shows a populated board."""

import sqlalchemy as sa

from scheduler.demo import DEFAULT_DEMO_PASSWORD, seed_demo
from scheduler.extensions import db
from scheduler.models import BoardListing, ConsentRecord, User


def test_demo_board_is_populated_once_with_recorded_consents(app, demo):
    with app.app_context():
        records = db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord))
        seed_demo(DEFAULT_DEMO_PASSWORD)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == records
        listed = db.session.scalar(sa.select(sa.func.count()).select_from(BoardListing))
        with_phone = db.session.scalar(sa.select(sa.func.count()).where(BoardListing.shown_phone != ""))
        by_secretary = db.session.scalar(
            sa.select(sa.func.count()).where(ConsentRecord.recorded_by_id != ConsentRecord.user_id)
        )
        unlisted_head = db.session.scalar(sa.select(User.display_name).where(User.username == "building07"))
    assert listed >= 20 and 0 < with_phone < listed and by_secretary > 0
    html = app.test_client().get("/s/haiyuan-lidu/board").get_data(as_text=True)
    assert html.count("board-phone") == with_phone
    assert unlisted_head not in html
