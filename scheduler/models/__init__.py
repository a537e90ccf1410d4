"""All models, importable from one place: ``from scheduler.models import User``."""

from scheduler.models.core import (
    KIND_LABELS,
    ROLE_LABELS,
    STAFF_ROLES,
    Building,
    Kind,
    Notice,
    Role,
    Station,
    StationScoped,
    User,
    enum_column,
    new_token,
)

__all__ = [
    "KIND_LABELS",
    "ROLE_LABELS",
    "STAFF_ROLES",
    "Building",
    "Kind",
    "Notice",
    "Role",
    "Station",
    "StationScoped",
    "User",
    "enum_column",
    "new_token",
]
