"""Who may do what, and which station's data a request may read.

Every blueprint guards its routes with ``roles_required`` and reads station data
through ``in_station`` / ``get_in_station_or_404``: the station filter lives here
and nowhere else, so a forgotten ``where`` cannot leak another station's records.
"""

from functools import wraps

import sqlalchemy as sa
from flask import abort, request
from flask_login import current_user

from scheduler.extensions import db, login_manager
from scheduler.models import Role, StationScoped


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def roles_required(*roles: Role):
    """Anonymous: login redirect (401 for htmx). Signed in with another role: 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if is_htmx():
                    abort(401)
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        # Read by the access tests, which check every route against every role.
        wrapped.allowed_roles = tuple(roles) or tuple(Role)  # pragma: no mutate (set at import)
        return wrapped

    return decorator


def current_station_id() -> int:
    """The signed-in staff member's station; 404 for anyone without one."""
    if not current_user.is_authenticated or current_user.station_id is None:
        abort(404)
    return current_user.station_id


def in_station(model: type[StationScoped], *criteria) -> sa.Select:
    """``select(model)`` limited to the current user's station."""
    return sa.select(model).where(model.station_id == current_station_id(), *criteria)


def get_in_station_or_404(model: type[StationScoped], record_id: int):
    """Load one record of the current station, or 404 (never 403: no existence leak)."""
    record = db.session.get(model, record_id)
    if record is None or record.station_id != current_station_id():
        abort(404)
    return record
