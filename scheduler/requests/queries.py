"""Reading requests: the inbox and its counts, ratings, and what residents may see."""

import hmac
from dataclasses import dataclass

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask_babel import format_time, get_locale, to_user_timezone
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from scheduler.extensions import db
from scheduler.models import (
    RequestState,
    Service,
    ServiceRequest,
    Task,
    TaskState,
    User,
)

# Two-character surnames; every other Chinese name starts with a one-character surname.
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐"}
    | {"司徒", "夏侯", "长孙", "宇文", "轩辕", "端木", "独孤", "南宫", "西门", "申屠"}
)


def name_for_residents(display_name: str) -> str:
    """How a resident is told who comes: 王师傅 (surname and a courtesy title), or a first name.

    A follow-up link may be forwarded in chats, so it names a volunteer no further.
    """
    name = display_name.strip()
    if not name:
        return _("a volunteer")
    if "\u4e00" <= name[0] <= "\u9fff":
        surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]
        return _("Volunteer %(surname)s", surname=surname)
    return name.split()[0]


@dataclass(frozen=True)
class VisitForResidents:
    """The task answering a request as its follow-up page tells it: when, and who by surname.

    ``day`` is the planned day while the task is under way, and the day it was done once done.
    """

    volunteer: str  # empty until a volunteer has accepted
    day: str
    start: str
    end: str
    done: bool


def visit_for_residents(service_request: ServiceRequest) -> VisitForResidents | None:
    task = service_request.live_task
    if task is None:
        return None
    going = task.assignee if task.state in (TaskState.ACCEPTED, TaskState.DONE) else None
    done = task.state == TaskState.DONE
    # Once done, the day it was done, which may not be the day planned.
    day = task.state_changed_at if done else task.starts_at
    return VisitForResidents(
        volunteer=name_for_residents(going.display_name) if going else "",
        day=format_skeleton("MMMEd", to_user_timezone(day), locale=get_locale()),
        start=format_time(task.starts_at, "HH:mm"),
        end=format_time(task.ends_at, "HH:mm"),
        done=done,
    )


# Compared against when no request has the reference, so that a wrong reference takes as long
# as a wrong phone and the two cannot be told apart.
NO_PHONE_END = "\x00" * 4


def request_for_resident(reference: str, phone_end: str) -> ServiceRequest | None:
    """The request with this reference whose phone ends with ``phone_end``, else None.

    A wrong reference and a wrong phone answer alike, in the same time: the phone's end is
    compared in constant time whether or not the reference exists. A request filed for a
    resident without a phone cannot be found this way; the building head who filed it follows it.
    """
    found = db.session.scalars(
        sa.select(ServiceRequest).where(ServiceRequest.reference == reference.strip().upper())
    ).one_or_none()
    digits = "".join(ch for ch in found.phone if ch.isdigit()) if found else ""
    expected = digits[-4:] if len(digits) >= 4 else NO_PHONE_END
    matches = hmac.compare_digest(expected.encode(), phone_end.encode())
    return found if matches else None


ALL_STATES = "all"


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows; ``state`` None means every state."""

    state: RequestState | None = None
    service_id: int | None = None
    building_id: int | None = None
    search: str = ""

    def args(self, **changes) -> dict:
        """Query arguments for ``url_for`` that reproduce this filter, with some changed."""
        args = {
            "state": self.state.value if self.state else ALL_STATES,
            "service": self.service_id,
            "building": self.building_id,
            "q": self.search or None,
        }
        args.update(changes)
        return args

    def criteria(self, station_id: int, with_state: bool = True) -> list:
        criteria = [ServiceRequest.station_id == station_id]
        if with_state and self.state is not None:
            criteria.append(ServiceRequest.state == self.state)
        if self.service_id is not None:
            criteria.append(ServiceRequest.service_id == self.service_id)
        if self.building_id is not None:
            criteria.append(ServiceRequest.building_id == self.building_id)
        if self.search:
            criteria.append(
                sa.or_(
                    ServiceRequest.reference == self.search.upper(),
                    ServiceRequest.resident_name.icontains(self.search, autoescape=True),
                    ServiceRequest.phone.contains(self.search, autoescape=True),
                )
            )
        return criteria


def inbox_query(station_id: int, inbox_filter: InboxFilter) -> sa.Select:
    """Newest first, with what a row shows loaded up front (constant queries per page)."""
    return (
        sa.select(ServiceRequest)
        .where(*inbox_filter.criteria(station_id))
        .options(
            selectinload(ServiceRequest.service),
            selectinload(ServiceRequest.building),
            selectinload(ServiceRequest.filed_by),
            selectinload(ServiceRequest.tasks).selectinload(Task.assignee),
        )
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    )


def state_counts(station_id: int, inbox_filter: InboxFilter = InboxFilter()) -> dict[RequestState, int]:
    """How many requests are in each state, under the other filters."""
    rows = db.session.execute(
        sa.select(ServiceRequest.state, sa.func.count())
        .where(*inbox_filter.criteria(station_id, with_state=False))
        .group_by(ServiceRequest.state)
    )
    counts = dict.fromkeys(RequestState, 0)
    counts.update({state: number for state, number in rows})
    return counts


def rating_summary(station_id: int, *criteria) -> dict[int, tuple[int, float]]:
    """Per service id: how many ratings, and their average (one decimal)."""
    rows = db.session.execute(
        sa.select(ServiceRequest.service_id, sa.func.count(), sa.func.avg(ServiceRequest.rating))
        .where(ServiceRequest.station_id == station_id, ServiceRequest.rating.is_not(None), *criteria)
        .group_by(ServiceRequest.service_id)
    )
    return {service_id: (count, round(float(average), 1)) for service_id, count, average in rows}


@dataclass(frozen=True)
class ServiceRatings:
    service: Service
    count: int
    average: float
    comments: list[ServiceRequest]


RECENT_COMMENTS_PER_SERVICE = 5


def ratings_by_service(station_id: int) -> list[ServiceRatings]:
    """Every rated service of the station with its average and its latest comments."""
    summary = rating_summary(station_id)
    services = db.session.scalars(
        sa.select(Service).where(Service.id.in_(list(summary))).order_by(Service.title)
    ).all()
    ranked = (
        sa.select(
            ServiceRequest.id,
            sa.func.row_number()
            .over(partition_by=ServiceRequest.service_id, order_by=ServiceRequest.rated_at.desc())
            .label("position"),
        )
        .where(
            ServiceRequest.station_id == station_id,
            ServiceRequest.rating.is_not(None),
            ServiceRequest.rating_comment != "",
        )
        .subquery()
    )
    comments = db.session.scalars(
        sa.select(ServiceRequest)
        .join(ranked, ranked.c.id == ServiceRequest.id)
        .where(ranked.c.position <= RECENT_COMMENTS_PER_SERVICE)
        .order_by(ServiceRequest.rated_at.desc())
    ).all()
    comments_by_service: dict[int, list[ServiceRequest]] = {}
    for comment in comments:
        comments_by_service.setdefault(comment.service_id, []).append(comment)
    return [
        ServiceRatings(service, *summary[service.id], comments_by_service.get(service.id, []))
        for service in services
    ]


def requests_filed_by(user: User, limit: int = 5) -> list[ServiceRequest]:
    return list(
        db.session.scalars(
            sa.select(ServiceRequest)
            .where(ServiceRequest.filed_by_id == user.id)
            .options(selectinload(ServiceRequest.service))
            .order_by(ServiceRequest.created_at.desc())
            .limit(limit)
        )
    )
