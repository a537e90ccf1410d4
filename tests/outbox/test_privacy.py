"""No message that leaves the app carries a resident's name, address, phone or care notes."""

import inspect
from datetime import timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    Beneficiary,
    Building,
    Delivery,
    Health,
    RequestState,
    Role,
    Service,
    ServiceRequest,
    Shift,
    Station,
    Task,
    TaskKind,
    TaskState,
    User,
)
from scheduler.outbox import messages
from scheduler.requests.services import file_request
from scheduler.tasks import services as task_services
from scheduler.tasks.services import Checklist

RESIDENT = {
    "name": "李秀英",
    "unit": "3单元",
    "room": "502室",
    "phone": "13811112222",
    "emergency_name": "李建国",
    "emergency_phone": "13655556666",
    "care_notes": "糖尿病每天注射胰岛素",
}
REQUESTER = {
    "resident_name": "张桂兰",
    "unit_room": "2单元301",
    "phone": "13633334444",
    "details": "需要送降压药硝苯地平",
    "preferred_time": "周三上午",
}
PERSONAL = [*RESIDENT.values(), *REQUESTER.values()]


def leaks(text: str) -> list[str]:
    return [value for value in PERSONAL if value in text]


def sample_objects():
    building = Building(name="5号楼")
    beneficiary = Beneficiary(building=building, **RESIDENT)
    task = Task(id=11, beneficiary=beneficiary, kind=TaskKind.MEDICINE, state_changed_at=utcnow())
    start = utcnow() + timedelta(days=1)
    shift = Shift(id=3, title="驿站值班", starts_at=start, ends_at=start + timedelta(hours=2))
    assignment = Assignment(id=4, shift=shift)
    service_request = ServiceRequest(
        id=5, reference="K7M2QX", service=Service(title="送药上门"), building=building, **REQUESTER
    )
    return building, task, shift, assignment, service_request


def test_every_message_template_keeps_residents_data_inside(app):
    building, task, shift, assignment, service_request = sample_objects()
    calls = {
        "generic": (),
        "shift_assigned": (shift, assignment),
        "shifts_planned": (),
        "shift_changed": (shift,),
        "shift_cancelled": (shift,),
        "shift_removed": (shift,),
        "shift_promoted": (shift, assignment),
        "swap_taken": (shift,),
        "shift_tomorrow": (shift, assignment),
        "shift_soon": (shift, assignment),
        "answer_awaited": (shift, assignment),
        "task_assigned": (task, "11-1"),
        "task_not_accepted": (task, "11-1"),
        "task_taken_back": (task,),
        "task_cancelled": (task,),
        "request_filed": (service_request,),
        "request_moved": (service_request, RequestState.ACCEPTED),
        "red_flag": (task, 9),
        "overdue_digest": (building, 3, "2026-W10"),
        "report_ready": ("2026年11月", "2026-11"),
        "test_message": (Station(name="海源丽都小区党群驿站"),),
    }
    templates = {
        name
        for name, function in inspect.getmembers(messages, inspect.isfunction)
        if function.__module__ == messages.__name__
        and inspect.signature(function).return_annotation is messages.Message
    }
    assert templates == set(calls), "a new message template needs a privacy check here"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        texts = {name: getattr(messages, name)(*args).text for name, args in calls.items()}
    for name, text in texts.items():
        assert text and not leaks(text), (name, text)
    # Outside texts are in the station's language, whoever caused the event.
    assert texts["task_not_accepted"].startswith("5号楼")
    assert "K7M2QX" in texts["request_filed"] and "新的居民请求" in texts["request_filed"]
    assert "5号楼" in texts["red_flag"]


def test_events_from_the_real_services_carry_no_residents_data(
    app, station, make_user, make_beneficiary, make_task, make_service, peer, set_channels, send
):
    set_channels(
        station,
        wecom_webhook=f"{peer.url}/w",
        dingtalk_webhook=f"{peer.url}/d",
        webhook_url=f"{peer.url}/h",
        webhook_secret="s",
    )
    admin = make_user(Role.ADMIN)
    coordinator = make_user(Role.COORDINATOR)
    volunteer = make_user(Role.VOLUNTEER)
    everyone_by_every_channel(app, admin, coordinator, volunteer)

    beneficiary = make_beneficiary(**{k: v for k, v in RESIDENT.items() if k not in ("unit", "room")})
    task = make_task(TaskState.ACCEPTED, volunteer, beneficiary=beneficiary, staff=admin)
    service = make_service(title="送药上门")
    with app.test_request_context():
        live_task = db.session.get(Task, task.id)
        task_services.complete(
            live_task,
            db.session.get(User, volunteer.id),
            Checklist(Health.FOLLOW_UP, safety_hazard=True),
            "见到了",
            30,
        )
        file_request(db.session.get(Service, service.id), building_id=beneficiary.building_id, **REQUESTER)

    with app.app_context():
        rows = list(db.session.scalars(sa.select(Delivery)))
    events = {row.event for row in rows}
    assert {"task.assigned", "visit.flag", "request.new"} <= events
    assert all(not leaks(row.text) for row in rows), [row.text for row in rows if leaks(row.text)]

    assert send().sent > 0
    bodies = [request.body.decode() for request in peer.received]
    assert bodies and all(not leaks(body) for body in bodies)


def everyone_by_every_channel(app, *users):
    from scheduler.models import NoticeSettings

    with app.app_context():
        for user in users:
            db.session.add(
                NoticeSettings(
                    user_id=user.id,
                    by_wecom=True,
                    by_dingtalk=True,
                    by_webhook=True,
                    mention_consent_at=utcnow(),
                    quiet_start=utcnow().time().replace(hour=0, minute=0, second=0, microsecond=0),
                    quiet_end=utcnow().time().replace(hour=0, minute=0, second=0, microsecond=0),
                )
            )
        db.session.commit()
