"""Privacy by time: a volunteer sees a resident's contact details only while the task is
theirs and open, and no longer than CONTACT_GRACE_HOURS after the visit window; every
card that shows them is written to the access log, in one statement per page."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import AccessKind, BeneficiaryAccess, Role, TaskState

GRACE = timedelta(hours=12)
WINDOW = timedelta(hours=2)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def volunteer(volunteer_client):
    """The volunteer signed in on ``volunteer_client``."""
    return volunteer_client.user


def task_ended(make_task, volunteer, resident, ago: timedelta, state=TaskState.ACCEPTED):
    """A task held by ``volunteer`` whose two-hour window ended ``ago``."""
    return make_task(state, volunteer, resident, starts_in=-(ago + WINDOW), duration=WINDOW)


def shows_contact(html: str, name: str, phone: str) -> bool:
    return name in html or f"tel:{phone}" in html or phone in html


def access_rows(app) -> list[tuple]:
    with app.app_context():
        return [
            (row.kind, row.task_id, row.user_id, row.beneficiary_id)
            for row in db.session.scalars(sa.select(BeneficiaryAccess).order_by(BeneficiaryAccess.id))
        ]


@pytest.mark.parametrize(
    ("ended_ago", "shown"),
    [
        (-timedelta(hours=1), True),  # window still to come
        (GRACE - timedelta(minutes=10), True),  # ended 11 h 50 ago
        (GRACE + timedelta(minutes=10), False),  # ended 12 h 10 ago
        (timedelta(days=3), False),
    ],
)
@pytest.mark.parametrize("page", ["/me", "/tasks/{id}"])
def test_contact_details_end_a_grace_period_after_the_window(
    volunteer_client, volunteer, make_task, make_beneficiary, ended_ago, shown, page
):
    resident = make_beneficiary(
        name="王秀英", phone="13812345678", unit="2单元", room="502", care_notes="耳背，请大声敲门"
    )
    task = task_ended(make_task, volunteer, resident, ended_ago)

    response = volunteer_client.get(page.format(id=task.id))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shows_contact(html, "王秀英", "13812345678") is shown
    assert ("2单元502" in html) is shown
    assert ("耳背，请大声敲门" in html) is shown, "care notes go with the contact details, no longer"
    assert "1号楼" in html, "the building is always there"
    assert "完成任务" in html, "the volunteer can still report the visit"
    assert ("不再显示" in html) is not shown
    assert response.headers["Cache-Control"] == "no-store"


def test_contact_details_end_even_for_a_task_never_accepted(
    volunteer_client, volunteer, make_task, make_beneficiary
):
    resident = make_beneficiary(name="李桂兰", phone="13900002222")
    task = task_ended(make_task, volunteer, resident, GRACE + timedelta(hours=1), state=TaskState.ASSIGNED)
    html = volunteer_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert not shows_contact(html, "李桂兰", "13900002222")
    assert "接受任务" in html


def test_the_grace_period_is_configurable(app, volunteer_client, volunteer, make_task, make_beneficiary):
    app.config["CONTACT_GRACE_HOURS"] = 2
    resident = make_beneficiary(name="赵玉珍", phone="13900003333")
    within = task_ended(make_task, volunteer, resident, timedelta(hours=1, minutes=50))
    past = task_ended(make_task, volunteer, make_beneficiary(name="钱秀兰"), timedelta(hours=2, minutes=10))
    assert "赵玉珍" in volunteer_client.get(f"/tasks/{within.id}").get_data(as_text=True)
    assert "钱秀兰" not in volunteer_client.get(f"/tasks/{past.id}").get_data(as_text=True)


def test_an_action_on_a_task_past_its_grace_answers_without_contact_details(
    volunteer_client, volunteer, make_task, make_beneficiary
):
    resident = make_beneficiary(name="孙桂英", phone="13900004444")
    task = task_ended(make_task, volunteer, resident, GRACE + timedelta(hours=1), state=TaskState.ASSIGNED)
    response = volunteer_client.post(f"/tasks/{task.id}/accept", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "完成任务" in html
    assert not shows_contact(html, "孙桂英", "13900004444")


def test_care_notes_reach_only_the_volunteer_holding_the_task(
    volunteer_client, volunteer, make_task, make_beneficiary, make_user
):
    """Not to a volunteer who may take an open task, nor after the task is done or given back."""
    notes = "耳背，请大声敲门"
    claimable = make_task(TaskState.OPEN, beneficiary=make_beneficiary(care_notes=notes), open_to_claim=True)
    done = make_task(TaskState.DONE, volunteer, make_beneficiary(care_notes=notes))
    declined = make_task(TaskState.DECLINED, volunteer, make_beneficiary(care_notes=notes))
    others = make_task(TaskState.ACCEPTED, make_user(Role.VOLUNTEER), make_beneficiary(care_notes=notes))

    assert notes not in volunteer_client.get("/me").get_data(as_text=True)
    for task in (claimable, done, declined, others):
        response = volunteer_client.get(f"/tasks/{task.id}")
        assert notes not in response.get_data(as_text=True), task.state


# The access log ----------------------------------------------------------------------


def test_every_card_that_shows_contact_details_is_logged(
    app, volunteer_client, volunteer, make_task, make_beneficiary
):
    shown = [task_ended(make_task, volunteer, make_beneficiary(), -timedelta(hours=h)) for h in (1, 2)]
    hidden = task_ended(make_task, volunteer, make_beneficiary(), GRACE + timedelta(hours=1))
    claimable = make_task(TaskState.OPEN, open_to_claim=True)

    assert volunteer_client.get("/me").status_code == 200
    assert access_rows(app) == [
        (AccessKind.CONTACT, task.id, volunteer.id, task.beneficiary_id) for task in shown
    ], "the cards with contact details, not the one past its grace nor the one anyone may take"

    assert volunteer_client.get(f"/tasks/{shown[0].id}").status_code == 200
    assert volunteer_client.get(f"/tasks/{hidden.id}").status_code == 200
    assert volunteer_client.get(f"/tasks/{claimable.id}").status_code == 200
    rows = access_rows(app)
    assert len(rows) == 3 and rows[-1] == (
        AccessKind.CONTACT,
        shown[0].id,
        volunteer.id,
        shown[0].beneficiary_id,
    )


def test_a_card_sent_back_with_form_errors_is_logged_too(
    app, volunteer_client, volunteer, make_task, make_beneficiary
):
    task = task_ended(make_task, volunteer, make_beneficiary(), -timedelta(hours=1))
    response = volunteer_client.post(f"/tasks/{task.id}/done", data={}, headers=HTMX)
    assert response.status_code == 422, "the card comes back with the form's errors, contact included"
    assert [row[0] for row in access_rows(app)] == [AccessKind.CONTACT]


def test_my_page_logs_many_cards_in_one_insert_and_constant_queries(
    app, volunteer_client, volunteer, make_task, make_beneficiary, count_queries
):
    task_ended(make_task, volunteer, make_beneficiary(), -timedelta(hours=1))
    with count_queries() as one:
        volunteer_client.get("/me")
    for hours in range(2, 10):
        task_ended(make_task, volunteer, make_beneficiary(), -timedelta(hours=hours))
    with count_queries() as nine:
        volunteer_client.get("/me")

    assert len(access_rows(app)) == 1 + 9
    inserts = [s for s in nine.statements if s.lstrip().upper().startswith("INSERT INTO BENEFICIARY_ACCESS")]
    assert len(inserts) == 1
    assert nine.count == one.count


def test_the_access_log_tells_contact_details_from_full_records(
    app, admin_client, volunteer_client, volunteer, make_task, make_beneficiary
):
    resident = make_beneficiary(name="周淑芬")
    task = task_ended(make_task, volunteer, resident, -timedelta(hours=1))
    volunteer_client.get(f"/tasks/{task.id}")
    admin_client.get(f"/beneficiaries/{resident.id}")

    html = admin_client.get("/beneficiaries/access-log").get_data(as_text=True)

    assert html.count('<li class="row">') == 2
    assert "任务上的联系方式" in html and "完整档案" in html
    assert f'href="/tasks/{task.id}"' in html
    kinds = {row[0] for row in access_rows(app)}
    assert kinds == {AccessKind.CONTACT, AccessKind.RECORD}
