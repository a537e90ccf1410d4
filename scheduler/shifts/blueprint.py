"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.calendar_feed import add_feed_source
from scheduler.models import STAFF_ROLES, STATION_ROLES
from scheduler.navigation import add_home_section, add_nav_item
from scheduler.shifts.formatting import register_filters

bp = Blueprint("shifts", __name__)
bp.record_once(register_filters)
add_nav_item(bp, "shifts.board", _l("Shifts"), STAFF_ROLES, order=20)

from scheduler.shifts import (  # noqa: E402,F401
    autofill_routes,
    availability_routes,
    check_in_routes,
    routes,
    volunteer,
)
from scheduler.shifts.home import staff_overview  # noqa: E402
from scheduler.shifts.queries import shift_feed_events  # noqa: E402
from scheduler.shifts.services import removable  # noqa: E402

# Templates ask the rule itself (``assignment is removable``), so no page can offer what it refuses.
bp.add_app_template_test(removable, "removable")

add_home_section(
    bp, "shifts/_staff_home_section.html", lambda user: {"staff": staff_overview(user)}, STAFF_ROLES, order=20
)
add_home_section(bp, "shifts/_home_section.html", volunteer.home_section_context, STATION_ROLES, order=30)
add_feed_source(bp, shift_feed_events)
