"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import STAFF_ROLES, Role
from scheduler.navigation import add_home_section, add_nav_item
from scheduler.requests.queries import requests_filed_by, state_counts
from scheduler.requests.services import may_file_for_residents

bp = Blueprint("requests", __name__)
add_nav_item(bp, "requests.inbox", _l("Requests"), STAFF_ROLES, order=20)


def home_section_context(user) -> dict:
    return {
        "may_file": may_file_for_residents(user),
        "counts": state_counts(user.station_id) if user.is_staff else None,
        "filed": requests_filed_by(user) if user.role == Role.VOLUNTEER else [],
    }


add_home_section(
    bp,
    "requests/_home_section.html",
    home_section_context,
    (Role.ADMIN, Role.COORDINATOR, Role.VOLUNTEER),
    order=30,
)

from scheduler.requests import routes  # noqa: E402,F401
