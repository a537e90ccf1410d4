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
from scheduler.models.menu import Service, ServiceCategory
from scheduler.models.requests import (
    OPEN_REQUEST_STATES,
    RATING_RANGE,
    REQUEST_STATE_LABELS,
    RequestState,
    ServiceRequest,
    new_reference,
)

__all__ = [
    "KIND_LABELS",
    "OPEN_REQUEST_STATES",
    "RATING_RANGE",
    "REQUEST_STATE_LABELS",
    "ROLE_LABELS",
    "STAFF_ROLES",
    "Building",
    "Kind",
    "Notice",
    "RequestState",
    "Role",
    "Service",
    "ServiceCategory",
    "ServiceRequest",
    "Station",
    "StationScoped",
    "User",
    "enum_column",
    "new_reference",
    "new_token",
]
