"""Accounts and stations: creating, editing and switching them off."""

import sqlalchemy as sa
from flask_babel import gettext as _

from scheduler.access import in_station
from scheduler.auth.services import end_all_sessions
from scheduler.extensions import db
from scheduler.forms import status_criteria
from scheduler.models import Building, Kind, Role, Station, User
from scheduler.models.core import NO_PASSWORD_YET
from scheduler.people.invitations import issue_invitation, revoke_invitations
from scheduler.rules import RuleViolation


def station_buildings() -> list[Building]:
    """The signed-in user's station's buildings, in their order (for pickers)."""
    return list(db.session.scalars(in_station(Building).order_by(Building.sort_order)))


def account_filter(query: sa.Select, text: str = "", kind: Kind | None = None, status: str = "") -> sa.Select:
    """Narrow an account query by a name/username/phone fragment, by kind and by active or not."""
    query = query.where(*status_criteria(User.active, status))
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.display_name).like(pattern),
                User.username.like(pattern),
                User.phone.like(pattern),
            )
        )
    if kind is not None:
        query = query.where(User.kind == kind)
    return query


def _ensure_username_free(username: str, except_user_id: int | None = None) -> None:
    query = sa.select(User.id).where(User.username == username)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    if db.session.scalar(query) is not None:
        raise RuleViolation(_("This username is taken. Choose another."), field="username")


def _check_building(station_id: int | None, building_id: int | None) -> None:
    if building_id is None:
        return
    building = db.session.get(Building, building_id)
    if building is None or building.station_id != station_id:
        raise RuleViolation(_("Choose a building of this station."), field="building_id")


def _new_account(
    *,
    station_id: int | None,
    username: str,
    display_name: str,
    role: Role,
    phone: str = "",
    kind: Kind | None = None,
    building_id: int | None = None,
) -> User:
    """A new, active account added to the session (not committed), still without a password."""
    if role == Role.SUPERADMIN and station_id is not None:
        raise RuleViolation(_("A street office administrator belongs to no station."), field="role")
    if role != Role.SUPERADMIN and station_id is None:
        raise RuleViolation(_("Choose a station for this account."), field="role")
    username = username.strip().lower()
    _ensure_username_free(username)
    _check_building(station_id, building_id)
    user = User(
        station_id=station_id,
        username=username,
        display_name=display_name,
        role=role,
        phone=phone or "",
        kind=kind,
        building_id=building_id,
        active=True,
        password_hash=NO_PASSWORD_YET,
    )
    db.session.add(user)
    return user


def create_account(*, password: str, **fields) -> User:
    """An active account with a password typed by the operator (``flask create-user``)."""
    user = _new_account(**fields)
    user.set_password(password)
    db.session.commit()
    return user


def create_invited_account(*, issued_by: User | None, **fields) -> tuple[User, str]:
    """An active account without a password, and the invitation link that lets the person set one."""
    user = _new_account(**fields)
    link = issue_invitation(user, issued_by)
    db.session.commit()
    return user, link


def reissue_invitation(user: User, issued_by: User) -> str:
    """A fresh set-password link (the person forgot their password); the older link stops working."""
    if not user.active:
        raise RuleViolation(_("Switch the account on before giving it a link."))
    link = issue_invitation(user, issued_by)
    db.session.commit()
    return link


def update_account(
    user: User,
    *,
    editor: User,
    username: str,
    display_name: str,
    role: Role,
    phone: str,
    kind: Kind | None,
    building_id: int | None,
    active: bool,
) -> User:
    if user.id == editor.id and (not active or role != user.role):
        raise RuleViolation(
            _("You cannot switch off your own account or change your own role."), field="role"
        )
    username = username.strip().lower()
    _ensure_username_free(username, except_user_id=user.id)
    _check_building(user.station_id, building_id)
    ends_sessions = (user.active and not active) or role != user.role
    user.username = username
    user.display_name = display_name
    user.role = role
    user.phone = phone or ""
    user.kind = kind
    user.building_id = building_id
    if user.active and not active:
        revoke_invitations(user)
    user.active = active
    if ends_sessions:
        end_all_sessions(user)
    db.session.commit()
    return user


def _ensure_slug_free(slug: str, except_station_id: int | None = None) -> None:
    query = sa.select(Station.id).where(Station.slug == slug)
    if except_station_id is not None:
        query = query.where(Station.id != except_station_id)
    if db.session.scalar(query) is not None:
        raise RuleViolation(_("Another station uses this short name."), field="slug")


def create_station(*, slug: str, name: str, building_count: int, **details) -> Station:
    """A station with buildings 1号楼 … N号楼; ``details`` are the other Station columns."""
    _ensure_slug_free(slug)
    station = Station(slug=slug, name=name, **details)
    db.session.add(station)
    db.session.flush()
    db.session.add_all(
        Building(station_id=station.id, name=f"{number}号楼", sort_order=number)
        for number in range(1, building_count + 1)
    )
    db.session.commit()
    return station


def update_station(station: Station, *, slug: str, **details) -> Station:
    _ensure_slug_free(slug, except_station_id=station.id)
    station.slug = slug
    for name, value in details.items():
        setattr(station, name, value)
    db.session.commit()
    return station
