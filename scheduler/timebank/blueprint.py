"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import STAFF_ROLES, STATION_ROLES
from scheduler.navigation import add_home_section, add_nav_item
from scheduler.shifts.attendance import attendance_changed
from scheduler.tasks.services import task_moved
from scheduler.timebank.services import credits_text, settle

bp = Blueprint("timebank", __name__)
add_nav_item(bp, "timebank.ledger", _l("Time bank"), STAFF_ROLES, order=75)


@task_moved.connect
def _settle_task(task, **_extra) -> None:
    """A task's credit follows its state: done earns its minutes (the task's lock is held)."""
    settle(task)


@attendance_changed.connect
def _settle_places(shift, changes, **_extra) -> None:
    """A place's credit follows its attendance, corrections included (the shift's lock is held)."""
    for change in changes:
        settle(change.assignment)


@bp.record_once
def register_filters(state) -> None:
    state.app.jinja_env.filters.update(credits=credits_text)


from scheduler.timebank import routes  # noqa: E402,F401
from scheduler.timebank.routes import home_section_context  # noqa: E402

add_home_section(bp, "timebank/_home_section.html", home_section_context, STATION_ROLES, order=16)
