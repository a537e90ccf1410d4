"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import STATION_ROLES
from scheduler.navigation import add_nav_item

bp = Blueprint("me", __name__)
add_nav_item(bp, "me.home", _l("My page"), STATION_ROLES, order=10)

from scheduler.me import routes  # noqa: E402,F401
