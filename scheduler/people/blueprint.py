"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import Role
from scheduler.navigation import add_nav_item

bp = Blueprint("people", __name__)
add_nav_item(bp, "people.accounts", _l("Accounts"), (Role.ADMIN,), order=80)
add_nav_item(bp, "people.stations", _l("Stations"), (Role.SUPERADMIN,), order=10)

from scheduler.people import routes, spreadsheet_routes, welcome  # noqa: E402,F401
