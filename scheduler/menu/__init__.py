from flask import Blueprint

bp = Blueprint("menu", __name__)

from scheduler.menu import routes  # noqa: E402,F401
