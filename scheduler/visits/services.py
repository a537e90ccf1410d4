"""The register of beneficiaries: saving records, filtering them, recording who looked.

Log lines name records by id only: a resident's name or phone never reaches a log file.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import after_this_request
from flask_babel import gettext as _

from scheduler.database import request_reads_only, separate_write, utcnow
from scheduler.extensions import db
from scheduler.models import AccessKind, Beneficiary, BeneficiaryAccess, Building, Task, User
from scheduler.rules import RuleViolation

log = logging.getLogger("scheduler.visits")


@dataclass(frozen=True)
class BeneficiaryFilter:
    """Which beneficiaries a list or a check-all is about; None/False means "any"."""

    building_id: int | None = None
    lives_alone: bool = False
    overdue: bool = False

    def criteria(self, now: datetime) -> list:
        criteria = []
        if self.building_id is not None:
            criteria.append(Beneficiary.building_id == self.building_id)
        if self.lives_alone:
            criteria.append(Beneficiary.lives_alone.is_(True))
        if self.overdue:
            criteria.append(Beneficiary.is_overdue(now))
        return criteria


def _check_building(station_id: int, building_id: int) -> None:
    building = db.session.get(Building, building_id)
    if building is None or building.station_id != station_id:
        raise RuleViolation(_("Choose a building of this station."), field="building_id")


def save_beneficiary(
    beneficiary: Beneficiary | None,
    *,
    station_id: int,
    editor: User,
    name: str,
    building_id: int,
    unit: str,
    room: str,
    phone: str,
    emergency_name: str,
    emergency_phone: str,
    emergency_relation: str,
    birth_year: int | None,
    lives_alone: bool,
    care_notes: str,
    visit_every_days: int | None,
    active: bool | None = None,
) -> Beneficiary:
    """Register a new beneficiary (``beneficiary=None``) or update one.

    ``active`` None keeps an existing record's flag; a new record is always in care.
    """
    _check_building(station_id, building_id)
    if birth_year is not None and not 1900 <= birth_year <= utcnow().year:
        raise RuleViolation(_("Enter a year between 1900 and this year."), field="birth_year")
    is_new = beneficiary is None
    if is_new:
        beneficiary = Beneficiary(station_id=station_id, active=True)
        db.session.add(beneficiary)
    if active is None:
        active = beneficiary.active
    for field, value in dict(
        name=name,
        building_id=building_id,
        unit=unit,
        room=room,
        phone=phone,
        emergency_name=emergency_name,
        emergency_phone=emergency_phone,
        emergency_relation=emergency_relation,
        birth_year=birth_year,
        lives_alone=lives_alone,
        care_notes=care_notes,
        visit_every_days=visit_every_days,
    ).items():
        setattr(beneficiary, field, value)
    beneficiary.set_in_care(active, utcnow())
    beneficiary.refresh_visit_due(utcnow())
    db.session.commit()
    log.info("beneficiary %s %s by user %s", beneficiary.id, "registered" if is_new else "updated", editor.id)
    return beneficiary


def find_or_register(
    *, station_id: int, name: str, building_id: int, unit: str = "", room: str = "", phone: str = ""
) -> Beneficiary:
    """The resident of this name at this address, or a new record of just these details.

    Adds to the caller's transaction (the caller commits). Used when a resident asks for
    help themselves: nothing beyond what they gave is recorded (minimum collection), and
    asking does not put her on the care register (关爱对象). A new record is made out of
    care; staff take her into care as a step of its own ("Receives visits" on her record).
    """
    _check_building(station_id, building_id)
    beneficiary = db.session.scalar(
        sa.select(Beneficiary).where(
            Beneficiary.station_id == station_id,
            Beneficiary.name == name,
            Beneficiary.building_id == building_id,
            Beneficiary.unit == unit,
            Beneficiary.room == room,
        )
    )
    if beneficiary is None:
        beneficiary = Beneficiary(
            station_id=station_id,
            name=name,
            building_id=building_id,
            unit=unit,
            room=room,
            phone=phone,
            active=False,
        )
        db.session.add(beneficiary)
        db.session.flush()
        log.info("beneficiary %s recorded from a resident's request, not in care", beneficiary.id)
    if not beneficiary.active:
        # Retention (scheduler/retention.py) strips a record out of care a year after this:
        # counted from her latest request, never while a recent one is being handled.
        beneficiary.left_care_at = utcnow()
    return beneficiary


def record_access(beneficiary: Beneficiary, user: User) -> None:
    """Note that ``user`` opened the full record of ``beneficiary`` just now."""
    db.session.add(
        BeneficiaryAccess(station_id=beneficiary.station_id, beneficiary_id=beneficiary.id, user_id=user.id)
    )
    db.session.commit()


def record_contact_views(user: User, tasks: list[Task]) -> None:
    """Note that ``user`` is being shown the contact details on these tasks' cards just now.

    One INSERT for all of them (a /me page may hold many cards), once the page has
    rendered. On a GET (``/me``, ``/tasks/<id>``) the page itself only reads, so it never
    waits for the write lock: the insert runs in a short transaction of its own. A page
    that fails (5xx) is not shown, so nothing is logged for it.
    """
    if not tasks:
        return
    now = utcnow()
    rows = [
        dict(
            station_id=task.station_id,
            beneficiary_id=task.beneficiary_id,
            user_id=user.id,
            at=now,
            kind=AccessKind.CONTACT,
            task_id=task.id,
        )
        for task in tasks
    ]

    @after_this_request
    def log_with_the_page(response):
        if response.status_code >= 500:
            return response
        if request_reads_only():
            with separate_write(db.engine) as connection:
                connection.execute(sa.insert(BeneficiaryAccess), rows)
        else:  # an action's answer: the request's own transaction already may write
            db.session.execute(sa.insert(BeneficiaryAccess), rows)
            db.session.commit()
        return response


def access_log_query(station_id: int, beneficiary_id: int | None, user_id: int | None) -> sa.Select:
    query = sa.select(BeneficiaryAccess).where(BeneficiaryAccess.station_id == station_id)
    if beneficiary_id is not None:
        query = query.where(BeneficiaryAccess.beneficiary_id == beneficiary_id)
    if user_id is not None:
        query = query.where(BeneficiaryAccess.user_id == user_id)
    return query.order_by(BeneficiaryAccess.at.desc(), BeneficiaryAccess.id.desc())
