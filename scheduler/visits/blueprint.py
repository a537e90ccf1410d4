"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.models import STAFF_ROLES, Role
from scheduler.navigation import add_nav_item
from scheduler.visits.privacy import keep_personal_data_out_of_caches

bp = Blueprint("visits", __name__)
bp.after_app_request(keep_personal_data_out_of_caches)
add_nav_item(bp, "visits.beneficiaries", _l("Residents in care"), STAFF_ROLES, order=35)
add_nav_item(bp, "visits.access_log", _l("Access log"), (Role.ADMIN,), order=85)

from scheduler.visits import routes, spreadsheet_routes  # noqa: E402,F401
