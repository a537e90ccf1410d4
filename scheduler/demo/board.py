"""Consents to the public board, so that the demo's board is populated as a real one would be:
most building heads and party members listed, some with their phone, a few volunteers; the
secretary recorded some from signed paper forms, the others ticked the box on /me."""

import sqlalchemy as sa

from scheduler.board.services import set_board_consent
from scheduler.demo.community import DEMO_STATION_SLUG
from scheduler.extensions import db
from scheduler.models import ConsentRecord, Station, User

# username: (show the phone too, recorded by the secretary from a paper form)
CONSENTS = {
    "secretary": (True, False),
    "coordinator": (True, False),
    **{
        f"building{number:02d}": (number % 3 != 0, number % 2 == 0)
        for number in range(1, 22)
        if number % 7 != 0
    },
    **{f"party{number:02d}": (number % 2 == 1, True) for number in range(1, 5)},
    **{f"volunteer{number:02d}": (False, number % 2 == 0) for number in range(1, 9)},
}


def seed(password: str) -> None:
    station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
    secretary = db.session.scalar(sa.select(User).where(User.username == "secretary"))
    people = db.session.scalars(sa.select(User).where(User.username.in_(list(CONSENTS)))).all()
    recorded = set(
        db.session.scalars(sa.select(ConsentRecord.user_id).where(ConsentRecord.station_id == station.id))
    )
    for person in people:
        if person.id in recorded:
            continue
        show_phone, on_paper = CONSENTS[person.username]
        set_board_consent(person, by=secretary if on_paper else person, listed=True, show_phone=show_phone)
