"""The service menu: the public pages residents reach from the poster, and its management.

Public: ``/`` and ``/s/<slug>/…`` (menu, service pages, requesting a service, the
poster) and ``/r/<token>`` (a resident's private follow-up link). Staff: ``/menu/…``.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import STAFF_ROLES
from scheduler.navigation import add_nav_item

bp = Blueprint("menu", __name__)
add_nav_item(bp, "menu.manage", _l("Service menu"), STAFF_ROLES, order=60)

from scheduler.menu import manage, requesting, routes  # noqa: E402,F401
