"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from scheduler.main import routes  # noqa: E402,F401
