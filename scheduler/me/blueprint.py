"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import STAFF_ROLES, STATION_ROLES
from scheduler.navigation import add_home_section, add_nav_item

bp = Blueprint("me", __name__)
add_nav_item(bp, "me.home", _l("My page"), STATION_ROLES, order=10)

from scheduler.me import routes  # noqa: E402,F401
from scheduler.me.urgent import urgent_section  # noqa: E402

# Before every other section: what needs someone now must not sit below the week's lists.
add_home_section(bp, "me/_urgent.html", urgent_section, STAFF_ROLES, order=1)
