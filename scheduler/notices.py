"""In-app notices: how the system tells a person that something changed for them."""

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Notice, User


def notify(user: User, text: str, link: str = "") -> Notice:
    """Queue a notice in the caller's transaction (the caller commits)."""
    notice = Notice(user_id=user.id, text=text, link=link)
    db.session.add(notice)
    return notice


def unread_notices(user: User) -> list[Notice]:
    return list(
        db.session.scalars(
            sa.select(Notice)
            .where(Notice.user_id == user.id, Notice.read_at.is_(None))
            .order_by(Notice.created_at.desc())
        )
    )


def dismiss_notice(user: User, notice_id: int) -> bool:
    """Mark one of ``user``'s notices read; False if it is not theirs."""
    result = db.session.execute(
        sa.update(Notice)
        .where(Notice.id == notice_id, Notice.user_id == user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1
