"""Residents in care and their home-visit tasks: a living station for ``make run``.

About forty residents across the 21 buildings; tasks in every state, made through the
real services (so their history is genuine) and then moved back in time, all relative
to now. Residents are looked up by name and building; tasks are only added to a
station that has none yet, so seeding again changes nothing. A few residents' requests
become tasks too (each only while it has none), the way staff do it from the inbox.
"""

from datetime import timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.demo.community import DEMO_STATION_SLUG
from scheduler.demo.names import demo_name, demo_phone
from scheduler.extensions import db
from scheduler.models import (
    Beneficiary,
    Building,
    Health,
    ServiceRequest,
    Station,
    Task,
    TaskEvent,
    TaskKind,
    User,
    VisitRecord,
)
from scheduler.requests.services import task_from_request
from scheduler.tasks import planning, services
from scheduler.tasks.forms import local_to_utc, local_zone
from scheduler.tasks.from_request import kind_for_service, split_unit_room, window_for_preference
from scheduler.tasks.services import Checklist
from scheduler.visits.services import BeneficiaryFilter

RESIDENT_COUNT = 42
FIRST_NAME_INDEX = 100  # past the staff accounts' names
CARE_NOTES = [
    "耳背，请大声敲门，多等一会儿。",
    "糖尿病，每天注射胰岛素；家里备有血糖仪。",
    "腿脚不便，行动需要助行器。",
    "记性不太好，重要事情请同时告知女儿。",
    "",
    "高血压，按时服药；喜欢聊天。",
    "",
]
RELATIONS = ["女儿", "儿子", "侄女", "邻居", "外甥"]
FREQUENCIES = [7, 14, 7, 30, None, 14]


def seed(password: str) -> None:
    station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
    if station is None:
        return
    residents = seed_residents(station)
    if db.session.scalar(sa.select(Task.id).where(Task.station_id == station.id).limit(1)) is None:
        seed_tasks(station, residents)
    seed_tasks_from_requests(station)


def seed_residents(station: Station) -> list[Beneficiary]:
    buildings = list(
        db.session.scalars(
            sa.select(Building).where(Building.station_id == station.id).order_by(Building.sort_order)
        )
    )
    existing = {
        (b.name, b.building_id): b
        for b in db.session.scalars(sa.select(Beneficiary).where(Beneficiary.station_id == station.id))
    }
    now = utcnow()
    residents = []
    for number in range(RESIDENT_COUNT):
        building = buildings[number % len(buildings)]
        name = demo_name(FIRST_NAME_INDEX + number)
        resident = existing.get((name, building.id))
        if resident is None:
            resident = Beneficiary(
                station_id=station.id,
                name=name,
                building_id=building.id,
                unit=f"{number % 3 + 1}单元",
                room=f"{number % 6 + 1}0{number % 2 + 1}",
                phone=demo_phone(500 + number),
                emergency_name=demo_name(FIRST_NAME_INDEX + 300 + number),
                emergency_relation=RELATIONS[number % len(RELATIONS)],
                emergency_phone=demo_phone(700 + number),
                birth_year=1932 + number % 18,
                lives_alone=number % 3 != 2,
                care_notes=CARE_NOTES[number % len(CARE_NOTES)],
                visit_every_days=FREQUENCIES[number % len(FREQUENCIES)],
                # Most were visited lately; every fifth is overdue.
                last_visit_at=now - timedelta(days=40 if number % 5 == 0 else number % 6 + 1),
            )
            resident.refresh_visit_due(now)
            db.session.add(resident)
            existing[(name, building.id)] = resident
        residents.append(resident)
    db.session.commit()
    return residents


def moved_back(task: Task, hours: float) -> None:
    """Shift a task's history (and what it found) ``hours`` into the past."""
    delta = timedelta(hours=hours)
    task.starts_at -= delta
    task.ends_at -= delta
    task.created_at -= delta
    task.state_changed_at -= delta
    for event in db.session.scalars(sa.select(TaskEvent).where(TaskEvent.task_id == task.id)):
        event.at -= delta
    record = db.session.scalar(sa.select(VisitRecord).where(VisitRecord.task_id == task.id))
    if record is not None:
        record.recorded_at -= delta
        task.beneficiary.last_visit_at = record.recorded_at
        task.beneficiary.refresh_visit_due()
    db.session.commit()


def seed_tasks(station: Station, residents: list[Beneficiary]) -> None:
    people = {
        user.username: user
        for user in db.session.scalars(sa.select(User).where(User.station_id == station.id))
    }
    secretary = people["secretary"]
    now = utcnow().replace(minute=0, second=0, microsecond=0)

    def head_of(resident: Beneficiary) -> User:
        return people[f"building{resident.building.sort_order:02d}"]

    def task(resident, kind=TaskKind.VISIT, start_in_hours=2.0, hours=2.0, assignee=None, **fields) -> Task:
        starts_at = now + timedelta(hours=start_in_hours)
        return services.create_task(
            station_id=station.id,
            beneficiary=resident,
            kind=kind,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            created_by=secretary,
            assignee=assignee,
            **fields,
        )

    def done(resident, days_ago: int, checklist: Checklist, note: str, kind=TaskKind.VISIT) -> Task:
        volunteer = head_of(resident)
        finished = task(resident, kind, start_in_hours=0, assignee=volunteer)
        services.accept(finished, volunteer)
        services.complete(finished, volunteer, checklist, note, 30 + days_ago * 5)
        moved_back(finished, hours=24 * days_ago)
        return finished

    r = residents  # r[4] is in 5号楼: building05 is a demo login
    # building05's phone: one to accept, one accepted to call and complete.
    task(r[4], start_in_hours=1, assignee=head_of(r[4]), instructions="询问近况，检查血压计是否正常。")
    accepted = task(
        r[25], TaskKind.MEDICINE, start_in_hours=3, assignee=head_of(r[25]), instructions="药已在驿站备好。"
    )
    services.accept(accepted, head_of(r[25]))
    # Today and overdue.
    for resident in (r[0], r[7], r[13]):
        visit = task(resident, start_in_hours=-30, hours=8, assignee=head_of(resident))
        services.accept(visit, head_of(resident))
    # Assigned long ago and not yet accepted.
    waiting = task(
        r[2], TaskKind.REPAIR, start_in_hours=20, assignee=people["property01"], instructions="水龙头漏水。"
    )
    moved_back(waiting, hours=9)
    # Nobody yet, and one anyone may take.
    task(r[9], TaskKind.DISINFECTION, start_in_hours=26)
    task(
        r[11],
        TaskKind.MEDICINE,
        start_in_hours=5,
        open_to_claim=True,
        instructions="到社区卫生站取药后送上门。",
    )
    task(r[30], TaskKind.OTHER, start_in_hours=48, open_to_claim=True, instructions="陪同去银行办理业务。")
    # Declined, waiting to be given to someone else.
    declined = task(r[16], start_in_hours=24, assignee=people["volunteer03"])
    services.decline(declined, people["volunteer03"], "这两天在外地，回来后可以去。")
    # Done: most fine, one flagged and waiting, one flagged and handled.
    for number, resident in enumerate(r[20:24]):
        done(resident, days_ago=number + 1, checklist=Checklist(Health.GOOD), note="精神很好，聊了聊家常。")
    done(
        r[6],
        days_ago=1,
        checklist=Checklist(Health.FOLLOW_UP, safety_hazard=True),
        note="老人说最近头晕；厨房燃气软管老化，需要更换。",
    )
    handled = done(
        r[12], days_ago=4, checklist=Checklist(Health.GOOD, needs_help=True), note="冰箱里没什么菜。"
    )
    services.handle_flag(handled.visit_record, secretary, "已联系助餐点每天送午餐。")
    # Cancelled.
    cancelled = task(r[18], TaskKind.REPAIR, start_in_hours=10)
    services.cancel(cancelled, secretary, "家属已请师傅修好。")
    # A check-all before the cold wave: everyone living alone in 4号楼 and 5号楼.
    for building_number in (4, 5):
        building = db.session.scalar(
            sa.select(Building).where(
                Building.station_id == station.id, Building.sort_order == building_number
            )
        )
        cold_wave = planning.check_all(
            station_id=station.id,
            actor=secretary,
            title=f"寒潮前探访（{building.name}）",
            selection=BeneficiaryFilter(building_id=building.id, lives_alone=True),
            kind=TaskKind.VISIT,
            starts_at=now,
            ends_at=now + timedelta(days=2),
            instructions="检查暖气、门窗和常用药是否充足。",
        )
        first = db.session.scalars(
            sa.select(Task).where(Task.batch_id == cold_wave.id).order_by(Task.id)
        ).first()
        if first is not None and first.assignee is not None:
            services.accept(first, first.assignee)


# Requests of the demo inbox that staff made tasks of: who goes (a username, or nobody yet)
# and how far the task has come.
REQUESTS_MADE_TASKS = (
    ("DEMG3H", "building03", "accepted"),  # 送药上门: the resident reads "王师傅 will come"
    ("DEME7F", None, "open"),  # 陪同就医: the station is still finding someone
    ("DEMR3S", "property02", "done"),  # 水电小修: done, waiting for the resident's rating
)


def seed_tasks_from_requests(station: Station) -> None:
    people = {
        user.username: user
        for user in db.session.scalars(sa.select(User).where(User.station_id == station.id))
    }
    coordinator = people["coordinator"]
    now = utcnow()
    for reference, username, progress in REQUESTS_MADE_TASKS:
        service_request = db.session.scalar(
            sa.select(ServiceRequest).where(
                ServiceRequest.station_id == station.id, ServiceRequest.reference == reference
            )
        )
        if service_request is None or service_request.tasks:
            continue
        if progress == "done":  # it was this morning
            starts_at = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=4)
            ends_at = starts_at + timedelta(hours=2)
        else:
            local_now = now.astimezone(local_zone()).replace(tzinfo=None)
            starts_at, ends_at = map(
                local_to_utc, window_for_preference(service_request.preferred_time, local_now)
            )
        unit, room = split_unit_room(service_request.unit_room)
        volunteer = people[username] if username else None
        task = task_from_request(
            service_request,
            created_by=coordinator,
            unit=unit,
            room=room,
            kind=kind_for_service(service_request.service.title),
            starts_at=starts_at,
            ends_at=ends_at,
            instructions=service_request.details,
            assignee_id=volunteer.id if volunteer else None,
        )
        if volunteer is not None:
            services.accept(task, volunteer)
        if progress == "done":
            services.complete(task, volunteer, Checklist(Health.GOOD), "换了灯泡，开关已紧固。", 25)
