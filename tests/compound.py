"""A real compound's data, written in bulk: the size the lists and pages must hold up at.

``build_compound(Size.REAL)`` fills the database of the current app context with one
station as the issue measures it: 21 buildings, 300 residents in care (some no longer),
40 staff (the branch secretary, 2 coordinators, 21 building heads, party members,
property staff and resident volunteers, a few inactive), a year of duty shifts and
weekly activities with assignments in every state, waiting lists and swap offers, home-
visit tasks in every state with their history and visit records (some red flags, some
handled), residents' requests in every state (some rated, some turned into tasks), a
check-all, notices, calendar feeds and a few thousand access-log rows.

Rows go in with one multi-row INSERT per table (``insert(Model).returning(id)``), not
through the ORM unit of work or the services, so the whole compound takes well under a
second on SQLite. Everything is derived from the row's index, so a smaller ``Size``
builds the same kinds of records, only fewer: the same pages then show the same shapes
and must cost the same number of queries.

Everyone signs in with ``TEST_PASSWORD`` (the cheap test hash).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from scheduler.demo.names import demo_name, demo_phone
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Beneficiary,
    BeneficiaryAccess,
    Building,
    CalendarFeed,
    Health,
    Kind,
    Notice,
    RequestState,
    Role,
    Service,
    ServiceCategory,
    ServiceRequest,
    Shift,
    ShiftKind,
    ShiftSeries,
    Station,
    Task,
    TaskBatch,
    TaskEvent,
    TaskKind,
    TaskState,
    User,
    VisitRecord,
    WaitlistEntry,
)
from tests.conftest import TEST_PASSWORD_HASH

ZONE = ZoneInfo("Asia/Shanghai")
SLUG = "lidu-compound"


@dataclass(frozen=True)
class Size:
    buildings: int
    residents: int
    days_back: int  # shifts from this many days ago ...
    days_ahead: int  # ... to this many days ahead
    tasks_per_resident: int
    requests: int
    access_rows: int


Size.REAL = Size(
    buildings=21,
    residents=300,
    days_back=300,
    days_ahead=65,
    tasks_per_resident=5,
    requests=400,
    access_rows=3000,
)
# The same kinds of records, about a fifth as many: still more than one page of every list.
Size.SMALL = Size(
    buildings=5,
    residents=70,
    days_back=60,
    days_ahead=20,
    tasks_per_resident=5,
    requests=70,
    access_rows=600,
)

# Every kind of record, a handful of each: for tests that change data, built afresh each time.
Size.TINY = Size(
    buildings=3,
    residents=15,
    days_back=10,
    days_ahead=10,
    tasks_per_resident=2,
    requests=12,
    access_rows=20,
)


@dataclass
class Compound:
    """What the crawl needs to reach every page: the station and who signs in as whom."""

    station_id: int
    slug: str
    usernames: dict  # role name -> username ("volunteer" is the building head of 1号楼)


def insert(model, rows: list[dict]) -> list[int]:
    """Insert every row in one executemany, with ids given here; their ids, in order.

    Ids are handed out in Python rather than read back (RETURNING makes SQLite's driver go
    row by row); ``restart_id_sequences`` then moves PostgreSQL's sequences past them.
    """
    if not rows:
        return []
    table = model.__table__
    first = (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    keys = set().union(*rows)
    for key in keys:  # one statement needs the same columns in every row: fill in the defaults
        default = table.c[key].default
        fallback = default.arg if default is not None and default.is_scalar else None
        for row in rows:
            row.setdefault(key, fallback)
    ids = list(range(first, first + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    db.session.execute(table.insert(), rows)
    return ids


def restart_id_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c:
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


def build_compound(size: Size, now: datetime | None = None) -> Compound:
    now = now or datetime.now(UTC)
    today = now.astimezone(ZONE).date()

    (station_id,) = insert(
        Station,
        [
            dict(
                slug=SLUG,
                name="海源丽都小区党群驿站",
                community="丽都社区",
                street_office="凤林街道",
                address="海源丽都小区物业办公楼一层",
                phone="0631-5201234",
                opening_hours="周一至周五 9:00–11:30，14:30–17:00",
            )
        ],
    )
    buildings = insert(
        Building,
        [
            dict(station_id=station_id, name=f"{number}号楼", sort_order=number)
            for number in range(1, size.buildings + 1)
        ],
    )

    # Staff ------------------------------------------------------------------------------
    people = [
        dict(username="street", role=Role.SUPERADMIN, kind=None, building=None, active=True),
        dict(username="secretary", role=Role.ADMIN, kind=Kind.PARTY_MEMBER, building=2, active=True),
        dict(username="coordinator1", role=Role.COORDINATOR, kind=Kind.PARTY_MEMBER, building=0, active=True),
        dict(username="coordinator2", role=Role.COORDINATOR, kind=None, building=None, active=True),
    ]
    people += [
        dict(
            username=f"building{n + 1:02d}",
            role=Role.VOLUNTEER,
            kind=Kind.BUILDING_HEAD,
            building=n,
            active=True,
        )
        for n in range(size.buildings)
    ]
    for label, kind, count in (
        ("party", Kind.PARTY_MEMBER, 5),
        ("property", Kind.PROPERTY_STAFF, 5),
        ("volunteer", Kind.RESIDENT_VOLUNTEER, 6),
    ):
        people += [
            dict(
                username=f"{label}{n:02d}",
                role=Role.VOLUNTEER,
                kind=kind,
                building=None if kind == Kind.PROPERTY_STAFF else (n * 3) % size.buildings,
                active=n != count,  # the last of each kind has left
            )
            for n in range(1, count + 1)
        ]
    user_ids = insert(
        User,
        [
            dict(
                station_id=None if person["role"] == Role.SUPERADMIN else station_id,
                username=person["username"],
                password_hash=TEST_PASSWORD_HASH,
                display_name=demo_name(index),
                phone="" if person["role"] == Role.SUPERADMIN else demo_phone(index),
                role=person["role"],
                kind=person["kind"],
                building_id=None if person["building"] is None else buildings[person["building"]],
                active=person["active"],
            )
            for index, person in enumerate(people)
        ],
    )
    by_name = {person["username"]: user_id for person, user_id in zip(people, user_ids, strict=True)}
    admin, volunteer = by_name["secretary"], by_name["building01"]
    staff = [by_name["secretary"], by_name["coordinator1"], by_name["coordinator2"]]
    heads = [by_name[f"building{n + 1:02d}"] for n in range(size.buildings)]
    on_duty = [user_id for person, user_id in zip(people, user_ids, strict=True) if person["active"]][1:]

    # The menu --------------------------------------------------------------------------
    categories = insert(
        ServiceCategory,
        [
            dict(station_id=station_id, name=name, sort_order=order)
            for order, name in enumerate(("关爱老人", "便民服务", "文化活动"))
        ],
    )
    menu = [
        ("送药上门", 0, True, True),
        ("上门探访", 0, True, True),
        ("家电维修", 1, True, True),
        ("环境消毒", 1, True, True),
        ("义务理发", 1, True, False),
        ("剪纸兴趣班", 2, True, False),
        ("编织班", 2, True, False),
        ("科普课堂", 2, False, False),
    ]
    services = insert(
        Service,
        [
            dict(
                station_id=station_id,
                category_id=categories[category],
                title=title,
                summary=f"{title}：志愿者为居民提供的服务。",
                description="每周固定时间，由党员和志愿者提供。",
                when_offered="每周三上午 9:00–11:00",
                where_offered="驿站一楼",
                contact_name=demo_name(order),
                contact_phone=demo_phone(order),
                contact_phone_consent_at=now if order % 2 == 0 else None,
                contact_phone_consent_by_id=admin if order % 2 == 0 else None,
                published=published,
                requestable=requestable,
                sort_order=order,
            )
            for order, (title, category, published, requestable) in enumerate(menu)
        ],
    )
    requestable = [service for service, item in zip(services, menu, strict=True) if item[3]]
    paper_cutting = services[5]

    # Shifts: two duties a day and an activity every Wednesday evening, for a year ----------
    first_day = today - timedelta(days=size.days_back)
    (series,) = insert(
        ShiftSeries,
        [
            dict(
                station_id=station_id,
                title="驿站值班",
                weekdays="1,2,3,4,5,6,7",
                start_time=time(9),
                end_time=time(11, 30),
                first_day=first_day,
                last_day=today + timedelta(days=size.days_ahead),
            )
        ],
    )
    shift_rows = []
    for offset in range(size.days_back + size.days_ahead + 1):
        day = first_day + timedelta(days=offset)
        slots = [
            ("驿站值班", ShiftKind.DUTY, (9, 0), (11, 30), 2, None),
            ("驿站值班", ShiftKind.DUTY, (14, 30), (17, 0), 2, None),
        ]
        if day.weekday() == 2:
            slots.append(("剪纸兴趣班", ShiftKind.ACTIVITY, (19, 0), (20, 30), 6, paper_cutting))
        for title, kind, start, end, capacity, service in slots:
            shift_rows.append(
                dict(
                    station_id=station_id,
                    series_id=series if kind == ShiftKind.DUTY else None,
                    kind=kind,
                    title=title,
                    location="先锋驿站" if kind == ShiftKind.DUTY else "时光忆站",
                    starts_at=local(day, *start),
                    ends_at=local(day, *end),
                    capacity=capacity,
                    self_signup=True,
                    notes="带好工作证。" if len(shift_rows) % 5 == 0 else "",
                    service_id=service,
                    cancelled_at=now - timedelta(days=1) if len(shift_rows) % 41 == 40 else None,
                )
            )
    shift_ids = insert(Shift, shift_rows)
    assignments, waiting = [], []
    for index, (shift_id, shift) in enumerate(zip(shift_ids, shift_rows, strict=True)):
        past = shift["ends_at"] < now
        # Most shifts are full, every third leaves one place open (the board's "unfilled").
        taken = shift["capacity"] if index % 3 else shift["capacity"] - 1
        for place in range(taken):
            user_id = on_duty[(index * 3 + place) % len(on_duty)]
            if past:
                state = (AssignmentState.ATTENDED, AssignmentState.ATTENDED, AssignmentState.NO_SHOW)[
                    place % 3
                ]
                if index % 17 == 0:
                    state = AssignmentState.DECLINED
            else:
                state = (AssignmentState.ASSIGNED, AssignmentState.CONFIRMED)[(index + place) % 2]
                if index % 13 == 0 and place == 0:
                    state = AssignmentState.DECLINED
            assignments.append(
                dict(
                    station_id=station_id,
                    shift_id=shift_id,
                    user_id=user_id,
                    state=state,
                    decline_reason="那天要去医院复查。" if state == AssignmentState.DECLINED else "",
                    assigned_by_id=admin if place % 2 == 0 else None,
                    swap_offered_at=now
                    if not past and state == AssignmentState.CONFIRMED and index % 7 == 0
                    else None,
                    created_at=shift["starts_at"] - timedelta(days=7),
                    responded_at=None
                    if state == AssignmentState.ASSIGNED
                    else shift["starts_at"] - timedelta(days=3),
                )
            )
        if not past and index % 3 and index % 4 == 0:
            waiting.append(
                dict(
                    station_id=station_id,
                    shift_id=shift_id,
                    user_id=on_duty[(index * 3 + taken) % len(on_duty)],
                )
            )
    # The building head of 1号楼 answers, declines and offers shifts from /me: give them some ahead.
    coming = [
        (shift_id, shift)
        for shift_id, shift in zip(shift_ids, shift_rows, strict=True)
        if shift["starts_at"] > now + timedelta(days=2) and shift["cancelled_at"] is None
    ]
    taken_pairs = {(row["shift_id"], row["user_id"]) for row in assignments}
    for number, (shift_id, _shift) in enumerate(coming[:12:3]):
        for user_id in (volunteer, admin):
            if (shift_id, user_id) not in taken_pairs:
                assignments.append(
                    dict(
                        station_id=station_id,
                        shift_id=shift_id,
                        user_id=user_id,
                        state=(AssignmentState.ASSIGNED, AssignmentState.CONFIRMED)[number % 2],
                        assigned_by_id=admin,
                        created_at=now - timedelta(days=1),
                    )
                )
    insert(Assignment, assignments)
    insert(WaitlistEntry, waiting)

    # Residents in care ----------------------------------------------------------------------
    resident_rows = []
    for index in range(size.residents):
        every = (7, 14, 30, None)[index % 4]
        last_visit = now - timedelta(days=(index * 5) % 40) if index % 6 else None
        due = None if every is None else (last_visit + timedelta(days=every) if last_visit else now)
        resident_rows.append(
            dict(
                station_id=station_id,
                name=demo_name(1000 + index),
                building_id=buildings[index % size.buildings],
                unit=f"{index % 3 + 1}单元",
                room=f"{index % 6 + 1}0{index % 4 + 1}",
                phone=demo_phone(1000 + index) if index % 5 else "",
                emergency_name=demo_name(5000 + index),
                emergency_phone=demo_phone(5000 + index),
                emergency_relation=("女儿", "儿子", "邻居")[index % 3],
                birth_year=1930 + index % 25,
                lives_alone=index % 3 == 0,
                care_notes="耳背，请大声敲门。" if index % 4 == 0 else "",
                visit_every_days=every,
                active=index % 25 != 24,
                last_visit_at=last_visit,
                visit_due_at=due,
            )
        )
    residents = insert(Beneficiary, resident_rows)

    # Residents' requests ----------------------------------------------------------------
    # Most requests of a year are done; a tenth of them in each other state.
    request_states = (
        RequestState.NEW,
        RequestState.ACCEPTED,
        RequestState.SCHEDULED,
        RequestState.DECLINED,
        *[RequestState.DONE] * 6,
    )
    request_rows = []
    for index in range(size.requests):
        state = request_states[index % len(request_states)]
        created = now - timedelta(hours=index * 9 + 1)
        request_rows.append(
            dict(
                station_id=station_id,
                reference=f"Q{index:05d}",
                service_id=requestable[index % len(requestable)],
                resident_name=demo_name(3000 + index)[:20],
                building_id=buildings[index % size.buildings],
                unit_room=f"{index % 3 + 1}单元{index % 6 + 1}01",
                phone=demo_phone(3000 + index),
                preferred_time=("工作日上午", "周末下午", "")[index % 3],
                details="腿脚不便，请上门。" if index % 2 else "",
                filed_by_id=heads[index % len(heads)] if index % 4 == 0 else None,
                state=state,
                created_at=created,
                accepted_at=created + timedelta(hours=1)
                if state not in (RequestState.NEW, RequestState.DECLINED)
                else None,
                scheduled_for=created + timedelta(days=1)
                if state in (RequestState.SCHEDULED, RequestState.DONE)
                else None,
                done_at=created + timedelta(days=1, hours=2) if state == RequestState.DONE else None,
                declined_at=created + timedelta(hours=2) if state == RequestState.DECLINED else None,
                decline_reason="这项服务暂时没有志愿者。" if state == RequestState.DECLINED else "",
                handled_by_id=None if state == RequestState.NEW else staff[index % len(staff)],
                rating=(index % 5) + 1 if state == RequestState.DONE and index % 2 else None,
                rating_comment="志愿者很耐心。" if state == RequestState.DONE and index % 4 == 3 else "",
                rated_at=created + timedelta(days=2) if state == RequestState.DONE and index % 2 else None,
            )
        )
    request_ids = insert(ServiceRequest, request_rows)
    scheduled_requests = [
        request_id
        for request_id, row in zip(request_ids, request_rows, strict=True)
        if row["state"] == RequestState.SCHEDULED
    ]

    # A check-all of 1号楼 before a cold wave --------------------------------------------
    (batch,) = insert(
        TaskBatch,
        [
            dict(
                station_id=station_id,
                title="寒潮前走访",
                building_id=buildings[0],
                lives_alone_only=False,
                overdue_only=False,
                created_by_id=admin,
                created_at=now - timedelta(days=2),
            )
        ],
    )

    # Home-visit tasks over the year, in every state, with their history ------------------------
    # The most recent task of each resident is under way; older ones are done or cancelled.
    recent_states = (
        TaskState.OPEN,
        TaskState.ASSIGNED,
        TaskState.ACCEPTED,
        TaskState.DECLINED,
        TaskState.ACCEPTED,
        TaskState.DONE,
    )
    kinds = list(TaskKind)
    task_rows = []
    for index, resident in enumerate(residents):
        building = index % size.buildings
        for round_ in range(size.tasks_per_resident):
            days_ago = (size.tasks_per_resident - 1 - round_) * 60 + index % 7
            starts = (
                now
                - timedelta(days=days_ago)
                + timedelta(days=1 if round_ == size.tasks_per_resident - 1 else 0)
            )
            if round_ == size.tasks_per_resident - 1 and index % 3 == 0:
                state = recent_states[index // 3 % len(recent_states)]
            else:
                state = TaskState.CANCELLED if (index + round_) % 11 == 0 else TaskState.DONE
            assignee = None if state == TaskState.OPEN else heads[building]
            if building == 0 and state in (TaskState.OPEN, TaskState.DECLINED):
                assignee = None
            task_rows.append(
                dict(
                    station_id=station_id,
                    beneficiary_id=resident,
                    kind=kinds[(index + round_) % len(kinds)],
                    state=state,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    instructions="带上血压计。" if round_ % 2 else "",
                    assignee_id=assignee,
                    open_to_claim=state == TaskState.OPEN and index % 2 == 0,
                    batch_id=batch if building == 0 and round_ == size.tasks_per_resident - 1 else None,
                    created_by_id=admin,
                    service_request_id=None,
                    created_at=starts - timedelta(days=2),
                    state_changed_at=starts,
                )
            )
    # Scheduled requests each have their one live task.
    for number, request_id in enumerate(scheduled_requests):
        index = number % len(residents)
        starts = now + timedelta(days=1 + number % 5)
        task_rows.append(
            dict(
                station_id=station_id,
                beneficiary_id=residents[index],
                kind=TaskKind.MEDICINE,
                state=(TaskState.ASSIGNED, TaskState.ACCEPTED)[number % 2],
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                instructions="",
                assignee_id=heads[index % size.buildings],
                open_to_claim=False,
                batch_id=None,
                created_by_id=admin,
                service_request_id=request_id,
                created_at=now - timedelta(days=1),
                state_changed_at=now - timedelta(hours=5),
            )
        )
    task_ids = insert(Task, task_rows)

    paths = {
        TaskState.OPEN: [TaskState.OPEN],
        TaskState.ASSIGNED: [TaskState.OPEN, TaskState.ASSIGNED],
        TaskState.ACCEPTED: [TaskState.OPEN, TaskState.ASSIGNED, TaskState.ACCEPTED],
        TaskState.DECLINED: [TaskState.OPEN, TaskState.ASSIGNED, TaskState.DECLINED],
        TaskState.DONE: [TaskState.OPEN, TaskState.ASSIGNED, TaskState.ACCEPTED, TaskState.DONE],
        TaskState.CANCELLED: [TaskState.OPEN, TaskState.CANCELLED],
    }
    events, records = [], []
    for number, (task_id, task) in enumerate(zip(task_ids, task_rows, strict=True)):
        previous = None
        head = task["assignee_id"] or heads[number % len(heads)]
        for step, state in enumerate(paths[task["state"]]):
            events.append(
                dict(
                    task_id=task_id,
                    actor_id=head
                    if state in (TaskState.ACCEPTED, TaskState.DECLINED, TaskState.DONE)
                    else admin,
                    assignee_id=None if state == TaskState.OPEN else head,
                    at=task["created_at"] + timedelta(hours=step),
                    from_state=previous,
                    to_state=state,
                    note="临时有事，去不了。" if state == TaskState.DECLINED else "",
                )
            )
            previous = state
        if task["state"] == TaskState.DONE:
            flagged = number % 10 == 3
            records.append(
                dict(
                    station_id=station_id,
                    task_id=task_id,
                    health=Health.FOLLOW_UP if flagged else Health.GOOD,
                    safety_hazard=flagged and number % 20 == 3,
                    needs_help=False,
                    other_concern=False,
                    note="老人精神不错，聊了半小时。" if not flagged else "咳嗽，需要复诊。",
                    minutes=30 + number % 30,
                    recorded_at=task["ends_at"],
                    flagged=flagged,
                    handled_at=task["ends_at"] + timedelta(days=1) if flagged and number % 30 != 3 else None,
                    handled_by_id=admin if flagged and number % 30 != 3 else None,
                    handling_note="已联系家属。" if flagged and number % 30 != 3 else "",
                )
            )
    insert(TaskEvent, events)
    insert(VisitRecord, records)

    # Who opened which record ----------------------------------------------------------------
    readers = [*staff, *heads[:3]]
    insert(
        BeneficiaryAccess,
        [
            dict(
                station_id=station_id,
                beneficiary_id=residents[(index * 7) % len(residents)],
                user_id=readers[index % len(readers)],
                at=now - timedelta(minutes=index * 137),
            )
            for index in range(size.access_rows)
        ],
    )

    insert(
        Notice,
        [
            dict(
                user_id=user_id,
                text=f"提醒：{number + 1} 月值班表已更新。",
                link="/me",
                created_at=now - timedelta(days=number),
            )
            for user_id in (volunteer, admin)
            for number in range(3)
        ],
    )
    insert(
        CalendarFeed,
        [
            dict(user_id=user_id, token=f"compound-feed-token-of-{name}-0123456789")
            for name, user_id in (
                ("volunteer", volunteer),
                ("admin", admin),
                ("coordinator", by_name["coordinator1"]),
            )
        ],
    )
    restart_id_sequences()
    db.session.commit()
    return Compound(
        station_id=station_id,
        slug=SLUG,
        usernames={
            "superadmin": "street",
            "admin": "secretary",
            "coordinator": "coordinator1",
            "volunteer": "building01",
        },
    )
