"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from scheduler.calendar_feed import add_feed_source
from scheduler.models import STAFF_ROLES, STATION_ROLES
from scheduler.navigation import add_home_section, add_nav_item

# cli_group=None: its commands are top-level, ``flask generate-visits`` for the daily cron.
bp = Blueprint("tasks", __name__, cli_group=None)

from scheduler.tasks import cli, home, routes  # noqa: E402,F401

add_nav_item(bp, "tasks.dashboard", _l("Home visits"), STAFF_ROLES, order=30)
add_home_section(bp, "tasks/_home_mine.html", home.my_tasks_section, STATION_ROLES, order=20)
add_home_section(bp, "tasks/_home_staff.html", home.staff_section, STAFF_ROLES, order=25)
add_feed_source(bp, home.task_feed_events)
