"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import STAFF_ROLES
from scheduler.navigation import add_nav_item

bp = Blueprint("menu", __name__)
add_nav_item(bp, "menu.manage", _l("Service menu"), STAFF_ROLES, order=60)

from scheduler.menu import manage, requesting, routes  # noqa: E402,F401
