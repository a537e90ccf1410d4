"""The printable week roster for the station wall: names only."""

import re

from scheduler.models import AssignmentState, Role
from tests.shifts.conftest import week_of


def test_roster_shows_names_and_never_phone_numbers(auth, make_shift, make_user, place):
    # A name of its own: factory names carry the same sequence number as factory phones.
    admin_client = auth.login(Role.ADMIN, display_name="王书记")
    shift = make_shift(title="驿站值班")
    on_duty = make_user(display_name="王秀英", phone="13912345678")
    declined = make_user(display_name="李德明", phone="13800001111")
    place(shift, on_duty)
    place(shift, declined, AssignmentState.DECLINED, decline_reason="外出")
    html = admin_client.get(f"{week_of(shift.starts_at)}/roster").get_data(as_text=True)
    assert "王秀英" in html and "驿站值班" in html
    assert "李德明" not in html, "only the people who will come"
    for person in (on_duty, declined, admin_client.user):
        assert person.phone not in html
        assert person.phone[-4:] not in html, "not even masked"
    assert re.search(r'href="/static/css/roster-print\.[0-9a-f]{12}\.css" media="print"', html)


def test_roster_print_stylesheet_is_a4_landscape(client):
    with client.get("/static/css/roster-print.css") as response:
        css = response.get_data(as_text=True)
    assert "size: A4 landscape" in css
