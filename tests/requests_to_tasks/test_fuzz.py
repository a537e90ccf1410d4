"""Whatever is typed into the "make it a task" form, the answer is a task or a message, never a 500.

Also for the first guesses: any preferred time a resident may type gives a window.
"""

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.tasks.from_request import split_unit_room, window_for_preference
from tests.conftest import answered

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(max_size=40)
local_time = st.one_of(text, st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")))


@FUZZ
@given(kind=text, starts_at=local_time, ends_at=local_time, unit=text, room=text, assignee=text)
def test_the_form_never_fails(
    coordinator_client, make_service, make_request, kind, starts_at, ends_at, unit, room, assignee
):
    service_request = make_request(make_service())
    response = coordinator_client.post(
        f"/requests/{service_request.id}/task",
        data={
            "kind": kind,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "unit": unit,
            "room": room,
            "assignee_id": assignee,
        },
        headers={"HX-Request": "true"},
    )
    assert answered(response, (200, 409, 422), kind, starts_at, ends_at, unit, room, assignee)


@settings(max_examples=200)
@given(preferred_time=st.text(max_size=60), unit_room=st.text(max_size=30))
def test_any_wish_gives_a_two_hour_window_and_an_address(preferred_time, unit_room):
    now = datetime(2026, 11, 26, 10, 0)
    start, end = window_for_preference(preferred_time, now)
    assert start.date() >= now.date() and (end - start).total_seconds() == 7200
    unit, room = split_unit_room(unit_room)
    assert room in unit_room and (unit == "" or unit.endswith("单元"))
