"""Whatever is typed into the planning forms, the answer is a saved shift or messages, never a 500."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import answered

FIELD_TEXT = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["", " ", "0", "-1", "51", "1e9", "24:00", "23:59", "00:00", "2026-02-30", "9999-12-31"]),
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            name: FIELD_TEXT
            for name in (
                "title",
                "kind",
                "location",
                "day",
                "start",
                "end",
                "capacity",
                "self_signup",
                "service_id",
                "notes",
            )
        }
    )
)
def test_one_shift_form_never_fails(admin_client, data):
    response = admin_client.post("/shifts/new", data=data)
    assert answered(response, (302, 422), data)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            name: FIELD_TEXT
            for name in (
                "title",
                "kind",
                "weekdays",
                "first_day",
                "last_day",
                "start",
                "end",
                "extra_start",
                "extra_end",
                "capacity",
                "service_id",
            )
        }
    )
)
def test_series_form_never_fails(admin_client, data):
    response = admin_client.post("/shifts/series/new", data=data)
    assert answered(response, (302, 422), data)
