"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import STAFF_ROLES, Role
from scheduler.navigation import add_home_section, add_nav_item
from scheduler.reports.home import my_hours
from scheduler.reports.months import month_key, month_label

bp = Blueprint("reports", __name__)
add_nav_item(bp, "reports.index", _l("Reports"), STAFF_ROLES, order=70)
# A volunteer sees their hours before their tasks and shifts; staff after their station's work.
add_home_section(bp, "reports/_home_section.html", my_hours, (Role.VOLUNTEER,), order=15)
add_home_section(bp, "reports/_home_section.html", my_hours, STAFF_ROLES, order=90)


@bp.record_once
def register_filters(state) -> None:
    state.app.jinja_env.filters.update(month_label=month_label, month_key=month_key)


from scheduler.reports import routes  # noqa: E402,F401
