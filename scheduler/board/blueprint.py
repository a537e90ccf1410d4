"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint

from scheduler.board.home import my_board_consent
from scheduler.models import STATION_ROLES
from scheduler.navigation import add_home_section

bp = Blueprint("board", __name__)
# Last on /me: a choice made once, changed rarely.
add_home_section(bp, "board/_home_section.html", my_board_consent, STATION_ROLES, order=200)

from scheduler.board import routes  # noqa: E402,F401
