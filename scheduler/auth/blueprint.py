"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from scheduler.auth import routes  # noqa: E402,F401
