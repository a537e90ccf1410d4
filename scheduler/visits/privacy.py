"""Who sees a resident's contact details and for how long; keeping such pages out of caches.

The one rule for volunteers (``shows_contact``): the resident's name, address, phone and
``tel:`` link are on the task card while the task is theirs and open (assigned or
accepted), and only until ``CONTACT_GRACE_HOURS`` after its time window ends, even if
nobody marks it done. Every page that shows a task card asks this function; the
calendar feed never carries contact details at all.

A view (or a /me section) that puts a name, address or phone of a resident on the
page calls ``shows_personal_data()``; the response then carries
``Cache-Control: no-store``, so neither the browser's back-forward cache nor a proxy
keeps a copy. Templates add ``hx-history="false"`` for htmx's own history cache.
"""

from datetime import datetime, timedelta

from flask import current_app, g

from scheduler.database import utcnow


def contact_shown_until(task) -> datetime:
    """The end of the task's window plus the grace period: contact details stop then."""
    return task.ends_at + timedelta(hours=current_app.config["CONTACT_GRACE_HOURS"])


def shows_contact(task, user, now: datetime | None = None) -> bool:
    """Whether ``user`` sees the resident's contact details on this task's card now."""
    return task.is_held_by(user) and (now or utcnow()) < contact_shown_until(task)


def shows_personal_data() -> None:
    g.shows_personal_data = True


def keep_personal_data_out_of_caches(response):
    if g.get("shows_personal_data"):
        response.headers["Cache-Control"] = "no-store"
    return response
