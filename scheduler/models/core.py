"""Stations, their buildings, staff accounts and in-app notices."""

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db


def enum_column(enum_class: type[enum.Enum]) -> sa.Enum:
    """Enums stored as their values in a VARCHAR: portable and readable in SQL."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Station(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    community: Mapped[str] = mapped_column(sa.String(80), default="")
    street_office: Mapped[str] = mapped_column(sa.String(80), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    opening_hours: Mapped[str] = mapped_column(sa.String(120), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped in the same transaction as every write to what the public pages show
    # (station details, menu, linked activities): the key of their cached copies.
    public_version: Mapped[int] = mapped_column(default=1)

    buildings: Mapped[list["Building"]] = relationship(
        back_populates="station", order_by="Building.sort_order"
    )

    def __repr__(self) -> str:
        return f"<Station {self.slug}>"


class StationScoped:
    """Mixin for every record that belongs to one station (see scheduler.access)."""

    @declared_attr
    def station_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("station.id", ondelete="CASCADE"), index=True)


class Building(StationScoped, db.Model):
    __table_args__ = (sa.UniqueConstraint("station_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    sort_order: Mapped[int] = mapped_column(default=0)

    station: Mapped[Station] = relationship(back_populates="buildings")

    def __str__(self) -> str:
        return self.name


class Role(enum.StrEnum):
    SUPERADMIN = "superadmin"
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    VOLUNTEER = "volunteer"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.SUPERADMIN: _l("Street office administrator"),
    Role.ADMIN: _l("Branch secretary"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.VOLUNTEER: _l("Volunteer"),
}

# Roles that run a station's daily work.
STAFF_ROLES = (Role.ADMIN, Role.COORDINATOR)
# Everyone who belongs to a station (the street office's superadmin does not).
STATION_ROLES = (*STAFF_ROLES, Role.VOLUNTEER)


class Kind(enum.StrEnum):
    PARTY_MEMBER = "party_member"
    BUILDING_HEAD = "building_head"
    PROPERTY_STAFF = "property_staff"
    RESIDENT_VOLUNTEER = "resident"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    Kind.PARTY_MEMBER: _l("Party member"),
    Kind.BUILDING_HEAD: _l("Building head"),
    Kind.PROPERTY_STAFF: _l("Property staff"),
    Kind.RESIDENT_VOLUNTEER: _l("Resident volunteer"),
}


# The stored hash of an account that staff or an import made, until its invitation link is
# used: no password matches it.
NO_PASSWORD_YET = "!"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("station.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    display_name: Mapped[str] = mapped_column(sa.String(40))
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role))
    kind: Mapped[Kind | None] = mapped_column(enum_column(Kind))
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("building.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session at once: part of the id Flask-Login keeps in cookies.
    session_version: Mapped[int] = mapped_column(default=1)
    # The key of the device session this request runs in (see UserSession); not stored here.
    session_key = ""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    station: Mapped[Station | None] = relationship()
    building: Mapped[Building | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    @property
    def has_password(self) -> bool:
        return self.password_hash != NO_PASSWORD_YET

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_all_sessions(self) -> None:
        self.session_version += 1

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember cookies: user, version, device."""
        return f"{self.id}:{self.session_version}:{self.session_key}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class UserSession(db.Model):
    """One signed-in device. Its key travels in the cookies; only its hash is kept here.

    Signing out deletes the row, so copies of that device's cookies stop working while
    the person's other devices stay signed in.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Notice(db.Model):
    """A short message shown on a person's home page until they dismiss it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(300))
    # Indexed: the notices pointing at a task or request are put away when it is dealt with.
    link: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def new_token() -> str:
    """An unguessable token for secret links (calendar feeds, follow-up pages)."""
    return secrets.token_urlsafe(24)
