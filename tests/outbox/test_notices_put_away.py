"""A notice that asks for something goes from /me once that is done, by whoever did it:
left there, it would still ask. A notice that only tells stays until it is dismissed."""

from datetime import timedelta

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import Notice, Role, Service, TaskState
from scheduler.requests.services import file_request
from tests.forms import submit_form
from tests.outbox.test_events import _first_building
from tests.outbox.test_reminders import run_at

ASKS_FOR_AN_ANSWER = "有一项上门任务派给了您，请接受或婉拒。"


def unread(app, user) -> list[tuple[str, str]]:
    with app.app_context():
        notices = db.session.scalars(
            sa.select(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None)).order_by(Notice.id)
        )
        return [(notice.text, notice.link) for notice in notices]


def test_accepting_a_task_puts_its_notice_away_and_leaves_the_others(auth, app, make_user, make_task):
    volunteer = make_user(Role.VOLUNTEER)
    task, other = make_task(TaskState.ASSIGNED, volunteer), make_task(TaskState.ASSIGNED, volunteer)
    client = auth.login(user=volunteer)
    assert client.get("/me").get_data(as_text=True).count(ASKS_FOR_AN_ANSWER) == 2

    submit_form(client, "/me", form=f"/tasks/{task.id}/accept")

    assert unread(app, volunteer) == [(ASKS_FOR_AN_ANSWER, f"/tasks/{other.id}")]
    assert client.get("/me").get_data(as_text=True).count(ASKS_FOR_AN_ANSWER) == 1


def test_an_answer_tapped_on_me_brings_the_notices_left(auth, make_user, make_task):
    """htmx swaps the card; the notices at the top of /me come out of band, without the one
    answered. Only to /me: the task's own page has no notices to replace."""
    volunteer = make_user(Role.VOLUNTEER)
    task, other = make_task(TaskState.ASSIGNED, volunteer), make_task(TaskState.ASSIGNED, volunteer)
    client = auth.login(user=volunteer)

    answer = submit_form(client, "/me", form=f"/tasks/{task.id}/accept", htmx=True).get_data(as_text=True)

    notices = answer[answer.index('<section id="notices"') :]
    assert notices.startswith('<section id="notices" class="notices" aria-label="通知" hx-swap-oob="true">')
    assert notices.count(ASKS_FOR_AN_ANSWER) == 1 and f'href="/tasks/{other.id}"' in notices
    answer = submit_form(client, f"/tasks/{other.id}", form=f"/tasks/{other.id}/accept", htmx=True)
    assert 'id="notices"' not in answer.get_data(as_text=True)


def test_giving_a_task_back_puts_its_notice_away(auth, app, make_user, make_task):
    volunteer = make_user(Role.VOLUNTEER)
    task = make_task(TaskState.ASSIGNED, volunteer)
    client = auth.login(user=volunteer)
    submit_form(client, "/me", {f"task{task.id}-decline-reason": "那天要去医院"}, htmx=True)
    assert unread(app, volunteer) == []


def test_a_task_given_to_someone_else_stops_asking_the_first_and_asks_the_second(
    auth, app, make_user, make_task
):
    first, second = make_user(Role.VOLUNTEER), make_user(Role.VOLUNTEER, display_name="陈志刚")
    task = make_task(TaskState.ASSIGNED, first)
    staff = auth.login(Role.COORDINATOR)
    page = f"/tasks/{task.id}"
    submit_form(staff, page, form=f"{page}/assign", button=f"assignee_id={second.id}")
    assert [link for _text, link in unread(app, first)] == [""], "only the word that it went to another"
    assert unread(app, second) == [(ASKS_FOR_AN_ANSWER, f"/tasks/{task.id}")]


def test_the_coordinators_reminder_goes_when_the_volunteer_accepts_but_a_red_flag_stays(
    auth, app, make_user, make_task, station_admin
):
    coordinator, volunteer = make_user(Role.COORDINATOR), make_user(Role.VOLUNTEER)
    task = make_task(TaskState.ASSIGNED, volunteer)
    run_at(app, utcnow() + timedelta(days=1))
    assert [link for _text, link in unread(app, coordinator)] == [f"/tasks/{task.id}"]

    client = auth.login(user=volunteer)
    submit_form(client, "/me", form=f"/tasks/{task.id}/accept")
    assert unread(app, coordinator) == []

    fields = {"health": "follow_up", "needs_help": True, "note": "药快吃完了", "minutes": "30"}
    submit_form(client, "/me", {f"task{task.id}-done-{name}": value for name, value in fields.items()})
    red_flag = ("一次上门探访发现了需要关注的情况，请立即查看。", f"/tasks/{task.id}")
    assert red_flag in unread(app, station_admin)


def test_a_new_request_stops_asking_every_coordinator_once_one_takes_it_up(
    auth, app, station, make_user, make_service
):
    first, second = make_user(Role.COORDINATOR), make_user(Role.COORDINATOR)
    service = make_service(title="送药上门")
    with app.test_request_context():
        taken, waiting = (
            file_request(
                db.session.get(Service, service.id),
                resident_name=name,
                building_id=_first_building(station),
                phone="13633334444",
            ).id
            for name in ("张桂兰", "李秀珍")
        )
    assert len(unread(app, first)) == len(unread(app, second)) == 2

    submit_form(auth.login(user=first), "/requests", form=f"/requests/{taken}/accept")

    for coordinator in (first, second):
        assert [link for _text, link in unread(app, coordinator)] == [f"/requests/{waiting}"]
