"""Staff dispatch: the picker's suggestions, assigning in two taps, reassigning, cancelling."""

import re
from datetime import timedelta

import pytest

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Kind,
    Notice,
    Role,
    Shift,
    Task,
    TaskEvent,
    TaskState,
)
from scheduler.tasks.dispatch import busy_user_ids
from tests.conftest import persist
from tests.factories_visits import building_of
from tests.forms import form_on, submit_form

HTMX = {"HX-Request": "true"}


@pytest.fixture
def building_two_head(app, station, make_user):
    with app.app_context():
        building_id = building_of(station, 2).id
    return make_user(
        Role.VOLUNTEER, display_name="二号楼长", kind=Kind.BUILDING_HEAD, building_id=building_id
    )


def picker_names(html: str) -> list[str]:
    picker = html[html.index('class="rows picker"') :]
    return re.findall(r"<strong>(.*?)</strong>", picker[: picker.index("</ul>")])


def history(app, task_id: int) -> list[tuple]:
    with app.app_context():
        events = db.session.query(TaskEvent).filter_by(task_id=task_id).order_by(TaskEvent.at, TaskEvent.id)
        return [(event.from_state, event.to_state, event.assignee_id) for event in events]


def test_picker_suggests_the_building_head_first_then_volunteers_free_at_that_time(
    admin_client, make_user, make_task, make_beneficiary, building_two_head, make_station
):
    busy = make_user(Role.VOLUNTEER, display_name="忙碌志愿者")
    make_user(Role.VOLUNTEER, display_name="空闲志愿者")
    make_user(Role.VOLUNTEER, display_name="停用志愿者", active=False)
    make_user(Role.VOLUNTEER, display_name="别站志愿者", station=make_station())
    make_task(TaskState.ACCEPTED, busy, starts_in=timedelta(hours=1), duration=timedelta(hours=3))
    make_task(TaskState.ACCEPTED, building_two_head, starts_in=timedelta(hours=1))
    task = make_task(beneficiary=make_beneficiary(building=2), starts_in=timedelta(hours=2))

    html = admin_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert picker_names(html) == ["二号楼长", "空闲志愿者"]
    assert "2号楼楼栋长" in html and "该时段另有任务" in html, "the head comes first, marked busy"


def test_assigning_takes_one_tap_and_answers_the_updated_panel(app, admin_client, make_user, make_task):
    volunteer = make_user(Role.VOLUNTEER, display_name="陈美玲")
    task = make_task()
    response = admin_client.post(f"/tasks/{task.id}/assign", data={"assignee_id": volunteer.id}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="task-panel"')
    assert "已指派，待接受" in html and "陈美玲" in html and "已指派给 陈美玲。" in html
    assert history(app, task.id)[-1] == (TaskState.OPEN, TaskState.ASSIGNED, volunteer.id)


def test_giving_a_held_task_to_someone_else_records_each_step(app, admin_client, make_user, make_task):
    first, second = make_user(Role.VOLUNTEER), make_user(Role.VOLUNTEER)
    task = make_task(TaskState.ACCEPTED, first)
    admin_client.post(f"/tasks/{task.id}/assign", data={"assignee_id": second.id})
    assert history(app, task.id)[-3:] == [
        (TaskState.ACCEPTED, TaskState.DECLINED, first.id),
        (TaskState.DECLINED, TaskState.OPEN, None),
        (TaskState.OPEN, TaskState.ASSIGNED, second.id),
    ]


def test_a_declined_task_is_reassigned_in_one_step(app, admin_client, make_user, make_task):
    first, second = make_user(Role.VOLUNTEER), make_user(Role.VOLUNTEER)
    task = make_task(TaskState.DECLINED, first)
    page = admin_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "临时有事" in page, "the decline reason is in the history"
    admin_client.post(f"/tasks/{task.id}/assign", data={"assignee_id": second.id})
    with app.app_context():
        assert db.session.get(Task, task.id).assignee_id == second.id


def test_reopen_puts_a_declined_task_back_among_the_open_ones(app, admin_client, make_user, make_task):
    task = make_task(TaskState.DECLINED, make_user(Role.VOLUNTEER))
    assert admin_client.post(f"/tasks/{task.id}/reopen", headers=HTMX).status_code == 200
    with app.app_context():
        assert db.session.get(Task, task.id).state == TaskState.OPEN


def test_cancel_needs_a_reason_and_tells_the_volunteer(app, admin_client, make_user, make_task):
    volunteer = make_user(Role.VOLUNTEER)
    task = make_task(TaskState.ASSIGNED, volunteer)
    refused = admin_client.post(f"/tasks/{task.id}/cancel", data={"reason": ""}, headers=HTMX)
    assert refused.status_code == 422
    assert 'id="reason-error">请简要说明原因。' in refused.get_data(as_text=True)

    admin_client.post(f"/tasks/{task.id}/cancel", data={"reason": "家属已接走"})
    with app.app_context():
        cancelled = db.session.get(Task, task.id)
        assert (cancelled.state, cancelled.assignee_id) == (TaskState.CANCELLED, None)
        # The volunteer first heard of the task, then of its cancelling.
        texts = [notice.text for notice in db.session.query(Notice).filter_by(user_id=volunteer.id)]
        assert len(texts) == 2 and "已取消" in texts[-1]


def test_a_finished_task_cannot_be_assigned(admin_client, make_user, make_task):
    task = make_task(TaskState.CANCELLED)
    response = admin_client.post(
        f"/tasks/{task.id}/assign", data={"assignee_id": make_user(Role.VOLUNTEER).id}, headers=HTMX
    )
    assert response.status_code == 409
    assert "这项任务当前为“已取消”" in response.get_data(as_text=True)


def test_nobody_of_another_station_can_be_assigned(admin_client, make_user, make_task, make_station):
    outsider = make_user(Role.VOLUNTEER, station=make_station())
    task = make_task()
    assert admin_client.post(f"/tasks/{task.id}/assign", data={"assignee_id": outsider.id}).status_code == 404
    assert admin_client.post(f"/tasks/{task.id}/assign", data={"assignee_id": "x"}).status_code == 400


def test_staff_can_open_a_task_to_anyone_and_close_it_again(app, admin_client, make_task):
    task = make_task()
    admin_client.post(f"/tasks/{task.id}/open-to-claim", data={"open_to_claim": "1"})
    with app.app_context():
        assert db.session.get(Task, task.id).open_to_claim
    admin_client.post(f"/tasks/{task.id}/open-to-claim", data={"open_to_claim": "0"})
    with app.app_context():
        assert not db.session.get(Task, task.id).open_to_claim


def test_staff_create_a_task_from_the_record_and_its_page_shows_the_instructions(
    app, admin_client, make_beneficiary
):
    resident = make_beneficiary()
    url = f"/tasks/new?beneficiary={resident.id}"
    assert (str(resident.id), True) in form_on(admin_client, url).named("beneficiary_id")[0].options
    response = submit_form(
        admin_client,
        url,
        {
            "kind": "medicine",
            "starts_at": "2030-01-05T09:00",
            "ends_at": "2030-01-05T11:30",
            "instructions": "降压药两盒",
            "open_to_claim": True,
        },
    )
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<dd class="prewrap">降压药两盒</dd>' in page
    with app.app_context():
        task = db.session.query(Task).one()
        assert task.kind == "medicine" and task.open_to_claim and task.state == TaskState.OPEN
        assert task.starts_at.isoformat() == "2030-01-05T01:00:00+00:00", "entered in Shanghai time"


@pytest.mark.parametrize(
    "starts_at, ends_at, field, message",
    [
        ("2030-01-05T11:00", "2030-01-05T09:00", "ends_at", "结束时间必须晚于开始时间。"),
        ("", "2030-01-05T09:00", "starts_at", "请填写日期和时间。"),
        ("tomorrow", "2030-01-05T09:00", "starts_at", None),
        # Year 1 would overflow the conversion to UTC: refused, not a 500.
        ("0001-01-01T00:00", "2030-01-05T09:00", "starts_at", "请选择 2000 年到 2099 年之间的日期。"),
    ],
)
def test_task_form_refuses_a_bad_window(admin_client, make_beneficiary, starts_at, ends_at, field, message):
    resident = make_beneficiary()
    response = admin_client.post(
        "/tasks/new",
        data={"beneficiary_id": resident.id, "kind": "visit", "starts_at": starts_at, "ends_at": ends_at},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html
    if message:
        assert message in html
    assert f'value="{ends_at}"' in html, "the input is kept"


def test_busy_means_holding_a_task_whose_window_overlaps(app, make_user, make_task, station):
    volunteer = make_user(Role.VOLUNTEER)
    make_task(TaskState.ACCEPTED, volunteer, starts_in=timedelta(hours=10), duration=timedelta(hours=2))
    finished = make_user(Role.VOLUNTEER)
    make_task(TaskState.DONE, finished, starts_in=timedelta(hours=10))
    base = utcnow()
    with app.app_context():
        assert busy_user_ids(station.id, base + timedelta(hours=11), base + timedelta(hours=13)) == {
            volunteer.id
        }
        assert (
            busy_user_ids(station.id, base + timedelta(hours=12, minutes=1), base + timedelta(hours=14))
            == set()
        )
        assert busy_user_ids(station.id, base, base + timedelta(hours=9)) == set()


def test_busy_also_means_holding_a_place_on_an_overlapping_shift(app, make_user, station):
    on_duty = make_user(Role.VOLUNTEER)
    declined = make_user(Role.VOLUNTEER)
    on_cancelled = make_user(Role.VOLUNTEER)
    start = utcnow() + timedelta(days=1)
    duty = persist(
        app,
        Shift(station_id=station.id, title="驿站值班", starts_at=start, ends_at=start + timedelta(hours=3)),
    )
    cancelled = persist(
        app,
        Shift(
            station_id=station.id,
            title="取消的值班",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            cancelled_at=utcnow(),
        ),
    )
    persist(
        app,
        Assignment(
            station_id=station.id, shift_id=duty.id, user_id=on_duty.id, state=AssignmentState.CONFIRMED
        ),
        Assignment(
            station_id=station.id, shift_id=duty.id, user_id=declined.id, state=AssignmentState.DECLINED
        ),
        Assignment(
            station_id=station.id,
            shift_id=cancelled.id,
            user_id=on_cancelled.id,
            state=AssignmentState.ASSIGNED,
        ),
    )
    with app.app_context():
        assert busy_user_ids(station.id, start + timedelta(hours=2), start + timedelta(hours=5)) == {
            on_duty.id
        }
        assert busy_user_ids(station.id, start + timedelta(hours=3), start + timedelta(hours=5)) == set()
