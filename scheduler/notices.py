"""Notices: how the system tells a person that something changed for them.

``notify`` is the one hub every event goes through: it writes the in-app notice and,
through the outbox, one delivery per channel outside the app the person chose (WeCom,
DingTalk, e-mail, webhook), all in the caller's transaction. Sending happens later,
outside any request (``flask notices send``).
"""

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Notice, User
from scheduler.outbox import messages
from scheduler.outbox.queue import queue_deliveries


def notify(user: User, text: str, link: str = "", message: messages.Message | None = None) -> Notice | None:
    """Queue a notice in the caller's transaction (the caller commits).

    ``text`` is shown in the app, where the person is signed in. ``message`` is what may
    leave the app (see ``scheduler.outbox.messages``: never a resident's data); without
    one, the other channels only say that there is news, with the link. A message with a
    ``ref`` is told once per person: None when this person already heard of it.
    """
    message = message or messages.generic()
    if user.station_id is not None and not queue_deliveries(user, message, link):
        return None
    notice = Notice(user_id=user.id, text=text[:300], link=link)
    db.session.add(notice)
    return notice


# Built once: /me runs it on every visit.
_UNREAD = (
    sa.select(Notice)
    .where(Notice.user_id == sa.bindparam("user_id"), Notice.read_at.is_(None))
    .order_by(Notice.created_at.desc())
)


def unread_notices(user: User) -> list[Notice]:
    return list(db.session.scalars(_UNREAD, {"user_id": user.id}))


def dismiss_notice(user: User, notice_id: int) -> bool:
    """Mark one of ``user``'s notices read; False if it is not theirs."""
    result = db.session.execute(
        sa.update(Notice)
        .where(Notice.id == notice_id, Notice.user_id == user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


def put_away_notices(link: str) -> None:
    """Mark read every unread notice pointing at ``link``, in the caller's transaction.

    For what a notice asked someone to do that is now done, or no longer theirs to do: a
    task answered, a new request taken up. Left on /me, it would still ask.
    """
    db.session.execute(
        sa.update(Notice).where(Notice.link == link, Notice.read_at.is_(None)).values(read_at=utcnow())
    )
