"""Staff link shifts and weekly series to a service of their station's menu."""

import re
from dataclasses import replace
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Role, Service, Shift, ShiftKind, ShiftSeries
from scheduler.rules import RuleViolation
from scheduler.shifts import planning
from scheduler.shifts.planning import ShiftDetails
from tests.conftest import form_error
from tests.shifts.conftest import HTMX, SHANGHAI, days_from_now, details_of, settle, week_of

PAPER_CUTTING = ShiftDetails(
    kind=ShiftKind.ACTIVITY,
    title="剪纸课",
    location="时光忆站",
    start=time(14, 30),
    end=time(16, 0),
    capacity=3,
    self_signup=True,
)
OTHER_STATIONS = "请选择本驿站的服务项目。"


def future_day(days: int = 3) -> date:
    return days_from_now(days).astimezone(SHANGHAI).date()


def shift_form(service_id="", **changes) -> dict:
    return {
        "title": "剪纸课",
        "kind": "activity",
        "location": "时光忆站",
        "day": future_day().isoformat(),
        "start": "14:30",
        "end": "16:00",
        "capacity": "3",
        "self_signup": "y",
        "service_id": str(service_id),
        **changes,
    }


def series_form(service_id="", **changes) -> dict:
    first = future_day()
    return {
        **shift_form(service_id),
        "weekdays": [str(first.isoweekday())],
        "first_day": first.isoformat(),
        "last_day": (first + timedelta(weeks=2)).isoformat(),
        "extra_start": "",
        "extra_end": "",
        **changes,
    }


def all_shifts(read) -> list[Shift]:
    return read(lambda s: list(s.scalars(sa.select(Shift).order_by(Shift.starts_at))))


# The forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/shifts/new", "/shifts/series/new"])
def test_forms_offer_this_stations_services_under_their_categories(
    admin_client, make_menu_service, make_station, url
):
    mine = make_menu_service("剪纸兴趣班", category="文化活动")
    preparing = make_menu_service("法律咨询", category="便民服务", published=False)
    theirs = make_menu_service("别站的编织小组", station=make_station(name="阳光驿站"))
    html = admin_client.get(url).get_data(as_text=True)
    assert '<label for="service_id">对应服务项目</label>' in html
    assert '<option selected value="">不对应服务项目</option>' in html
    assert re.search(rf'<optgroup label="文化活动">\s*<option value="{mine.id}">剪纸兴趣班</option>', html)
    assert f'<option value="{preparing.id}">法律咨询（未发布）</option>' in html
    assert "别站的编织小组" not in html and f'<option value="{theirs.id}"' not in html


def test_one_shift_is_linked_to_the_chosen_service(admin_client, make_menu_service, read):
    service = make_menu_service("剪纸兴趣班")
    assert admin_client.post("/shifts/new", data=shift_form(service.id)).status_code == 302
    (shift,) = all_shifts(read)
    assert shift.service_id == service.id


def test_a_shift_without_a_service_stays_unlinked(admin_client, make_menu_service, read):
    make_menu_service("剪纸兴趣班")
    assert admin_client.post("/shifts/new", data=shift_form("")).status_code == 302
    assert all_shifts(read)[0].service_id is None


def test_a_series_links_itself_and_each_of_its_shifts(admin_client, make_menu_service, read):
    service = make_menu_service("剪纸兴趣班")
    assert admin_client.post("/shifts/series/new", data=series_form(service.id)).status_code == 302
    shifts = all_shifts(read)
    assert len(shifts) == 3 and {shift.service_id for shift in shifts} == {service.id}
    assert read(lambda s: s.scalar(sa.select(ShiftSeries.service_id))) == service.id


@pytest.mark.parametrize("url, form", [("/shifts/new", shift_form), ("/shifts/series/new", series_form)])
@pytest.mark.parametrize("value", ["another station's", "999999", "剪纸", "-1"])
def test_forms_refuse_a_service_that_is_not_this_stations_next_to_the_field(
    admin_client, make_menu_service, make_station, read, url, form, value
):
    make_menu_service("剪纸兴趣班")
    if value == "another station's":
        value = make_menu_service("别站的剪纸班", station=make_station(name="阳光驿站")).id
    response = admin_client.post(url, data=form(value, title="剪纸课（二）"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert form_error(html, "service_id") == OTHER_STATIONS
    assert 'value="剪纸课（二）"' in html, "the rest of what was typed stays"
    assert all_shifts(read) == []


def test_edit_form_shows_the_link_and_can_remove_it(admin_client, make_shift, make_menu_service, read):
    service = make_menu_service("编织小组")
    shift = make_shift(title="编织课", kind=ShiftKind.ACTIVITY, service_id=service.id)
    html = admin_client.get(f"/shifts/{shift.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{service.id}">编织小组</option>' in html
    day = shift.starts_at.astimezone(SHANGHAI).date().isoformat()
    response = admin_client.post(
        f"/shifts/{shift.id}/edit", data=shift_form("", title="编织课", day=day, start="09:00", end="11:30")
    )
    assert response.status_code == 302
    assert read(lambda s: s.get(Shift, shift.id).service_id) is None


def test_edit_refuses_another_stations_service(
    admin_client, make_shift, make_menu_service, make_station, read
):
    shift = make_shift()
    theirs = make_menu_service("别站的剪纸班", station=make_station(name="阳光驿站"))
    day = shift.starts_at.astimezone(SHANGHAI).date().isoformat()
    response = admin_client.post(f"/shifts/{shift.id}/edit", data=shift_form(theirs.id, day=day))
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "service_id") == OTHER_STATIONS
    assert read(lambda s: s.get(Shift, shift.id).service_id) is None


# The rule, in planning ----------------------------------------------------------------------


@pytest.mark.usefixtures("in_app")
def test_planning_refuses_another_stations_service(station, make_shift, make_menu_service, make_station):
    theirs = make_menu_service("别站的剪纸班", station=make_station(name="阳光驿站"))
    linked_elsewhere = replace(PAPER_CUTTING, service_id=theirs.id)
    shift = make_shift()
    day, _details = details_of(shift)
    attempts = [
        lambda: planning.create_shift(station.id, future_day(), linked_elsewhere),
        lambda: planning.create_series(station.id, linked_elsewhere, [1], future_day(), future_day(14)),
        lambda: planning.update_shift(shift.id, day, linked_elsewhere),
    ]
    for attempt in attempts:
        with pytest.raises(RuleViolation) as refused:
            attempt()
        assert (refused.value.field, refused.value.message) == ("service_id", OTHER_STATIONS)


@pytest.mark.usefixtures("in_app")
def test_changing_this_and_later_carries_the_link_along(station, make_menu_service, read):
    service = make_menu_service("剪纸兴趣班")
    tomorrow = future_day(1)
    first, second, third = settle(
        planning.create_series(
            station.id, PAPER_CUTTING, [tomorrow.isoweekday()], tomorrow, tomorrow + timedelta(weeks=2)
        )
    )
    day, details = details_of(second, service_id=service.id)
    planning.update_shift(second.id, day, details, later_too=True)
    assert [s.service_id for s in all_shifts(read)] == [None, service.id, service.id]
    assert read(lambda s: s.get(ShiftSeries, first.series_id).service_id) == service.id

    day, details = details_of(third, service_id=None)
    planning.update_shift(third.id, day, details)
    assert [s.service_id for s in all_shifts(read)] == [None, service.id, None], "only this one"


@pytest.mark.usefixtures("in_app")
def test_copying_a_week_keeps_the_link(station, make_shift, make_menu_service, make_user, read):
    service = make_menu_service("编织小组")
    linked = make_shift(title="编织课", kind=ShiftKind.ACTIVITY, service_id=service.id)
    make_shift(title="驿站值班", starts_at=linked.starts_at + timedelta(hours=4))
    monday = linked.starts_at.astimezone(SHANGHAI).date()
    monday -= timedelta(days=monday.weekday())
    result = planning.copy_week(station.id, monday, by=make_user(Role.ADMIN))
    assert result.shifts_created == 2
    copies = {
        s.title: s.service_id for s in all_shifts(read) if s.starts_at > linked.starts_at + timedelta(days=6)
    }
    assert copies == {"编织课": service.id, "驿站值班": None}


def test_removing_a_service_unlinks_its_shifts(app, make_shift, make_menu_service, read):
    service = make_menu_service("编织小组")
    shift = make_shift(service_id=service.id)
    with app.app_context():
        db.session.execute(sa.delete(Service).where(Service.id == service.id))
        db.session.commit()
    assert read(lambda s: s.get(Shift, shift.id).service_id) is None


# What staff see ----------------------------------------------------------------------------------


def test_board_card_and_shift_page_show_the_service_and_lead_to_it(
    admin_client, make_shift, make_menu_service, make_user
):
    service = make_menu_service("剪纸兴趣班")
    shift = make_shift(title="剪纸课", kind=ShiftKind.ACTIVITY, service_id=service.id)
    label = f'<a class="service-label" href="/menu/services/{service.id}"'
    board = admin_client.get(week_of(shift.starts_at)).get_data(as_text=True)
    card = board[board.index(f'id="shift-{shift.id}"') :]
    assert label in card[: card.index("</article>")] and "剪纸兴趣班" in card
    detail = admin_client.get(f"/shifts/{shift.id}").get_data(as_text=True)
    assert "对应服务项目" in detail and label in detail
    # The card re-rendered by htmx after an assignment keeps the label.
    fragment = admin_client.post(f"/shifts/{shift.id}/assign", data={"user_id": make_user().id}, headers=HTMX)
    assert label in fragment.get_data(as_text=True)
    assert admin_client.get(f"/menu/services/{service.id}").status_code == 200


def test_unlinked_shifts_show_no_service_label(admin_client, make_shift):
    shift = make_shift()
    assert "service-label" not in admin_client.get(week_of(shift.starts_at)).get_data(as_text=True)


def test_board_costs_the_same_queries_with_more_linked_shifts(
    admin_client, make_shift, make_menu_service, count_queries
):
    def add_linked(count):
        for index in range(count):
            service = make_menu_service(f"服务{count}-{index}")
            make_shift(
                starts_at=days_from_now(1, time(8, 0)) + timedelta(hours=index * 3), service_id=service.id
            )

    add_linked(2)
    url = week_of(days_from_now(1))
    with count_queries() as few:
        admin_client.get(url)
    add_linked(6)
    with count_queries() as many:
        admin_client.get(url)
    assert many.count == few.count


@pytest.mark.parametrize("role", [None, Role.VOLUNTEER])
def test_only_staff_reach_the_forms_that_link_services(client, auth, role):
    visitor = auth.login(role) if role else client
    for url in ("/shifts/new", "/shifts/series/new"):
        response = visitor.get(url)
        assert response.status_code == (403 if role else 302), url
        assert "对应服务项目" not in response.get_data(as_text=True)
