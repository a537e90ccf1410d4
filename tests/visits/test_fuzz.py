"""Whatever is typed into the home-visit forms, the answer is a saved record or a message, never a 500."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.models import TaskState
from tests.conftest import answered
from tests.forms import form_on, submit_form

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(max_size=80)


@FUZZ
@given(name=text, room=text, phone=text, birth_year=text, every=text, notes=st.text(max_size=600))
def test_register_form_never_fails(admin_client, name, room, phone, birth_year, every, notes):
    buildings = form_on(admin_client, "/beneficiaries/new").named("building_id")[0].options
    response = submit_form(
        admin_client,
        "/beneficiaries/new",
        {
            "name": name,
            "building_id": buildings[1][0],
            "room": room,
            "phone": phone,
            "birth_year": birth_year,
            "visit_every_days": every,
            "care_notes": notes,
        },
    )
    assert answered(response, (302, 422), name, room, phone, birth_year, every, notes)


@FUZZ
@given(health=text, note=st.text(max_size=600), minutes=text, reason=text)
def test_volunteer_forms_never_fail(volunteer_client, make_task, health, note, minutes, reason):
    client = volunteer_client  # one sign-in for every example; each gets a fresh task
    task = make_task(TaskState.ACCEPTED, client.user)
    prefix = f"task{task.id}"
    done = client.post(
        f"/tasks/{task.id}/done",
        data={
            f"{prefix}-done-health": health,
            f"{prefix}-done-note": note,
            f"{prefix}-done-minutes": minutes,
        },
        headers={"HX-Request": "true"},
    )
    assert answered(done, (200, 422), health, note, minutes)
    declined = client.post(f"/tasks/{task.id}/decline", data={f"{prefix}-decline-reason": reason})
    assert answered(declined, (302, 404, 409, 422), reason)
