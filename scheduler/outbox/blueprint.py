"""The blueprint of this area and its registrations: only `create_app` imports this module."""

from flask import Blueprint

from scheduler.models import STATION_ROLES
from scheduler.navigation import add_home_section

bp = Blueprint("notices", __name__)


def _home_context(user) -> dict:
    from scheduler.models import Role
    from scheduler.outbox.queries import failure_count, offered_channels
    from scheduler.outbox.queue import settings_for

    settings = settings_for(user.id)
    offered = offered_channels(user.station_id)
    return {
        "failures": failure_count(user.station_id) if user.role == Role.ADMIN else None,
        "my_channels": [channel for channel in offered if settings.wants(channel)],
    }


add_home_section(bp, "notices/_home_section.html", _home_context, STATION_ROLES, order=90)

from scheduler.outbox import routes  # noqa: E402,F401
