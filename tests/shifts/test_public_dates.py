"""Residents see when and where a service's activities take place next, and nothing about who helps."""

from datetime import datetime, time, timedelta

import pytest

from scheduler.database import utcnow
from scheduler.models import Kind, Role, ShiftKind
from tests.shifts.conftest import HTMX, SHANGHAI, days_from_now

MENU = "/s/haiyuan-lidu/"


def shown(moment: datetime, hours: float = 1.5) -> str:
    """How a date reads on the public pages, e.g. 3月2日周一 14:30–16:00."""
    start, end = moment.astimezone(SHANGHAI), (moment + timedelta(hours=hours)).astimezone(SHANGHAI)
    return f"{start.month}月{start.day}日周{'一二三四五六日'[start.weekday()]} {start:%H:%M}–{end:%H:%M}"


def service_page(service) -> str:
    return f"/s/haiyuan-lidu/services/{service.id}"


@pytest.fixture
def make_class(make_shift):
    """An activity (a class) of ``service``, ``days`` from now at 14:30 local, 1.5 hours long."""

    def make(service, days: int, **fields):
        fields.setdefault("kind", ShiftKind.ACTIVITY)
        fields.setdefault("location", "时光忆站")
        fields.setdefault("title", "剪纸课")
        return make_shift(
            starts_at=days_from_now(days, time(14, 30)),
            hours=1.5,
            service_id=service.id,
            **fields,
        )

    return make


def test_service_page_lists_the_coming_activity_dates_and_places(client, make_menu_service, make_class):
    service = make_menu_service("剪纸兴趣班")
    coming = [make_class(service, days) for days in (9, 2, 16)]
    html = client.get(service_page(service)).get_data(as_text=True)
    assert "近期活动安排" in html
    listed = [html.index(shown(shift.starts_at)) for shift in sorted(coming, key=lambda s: s.starts_at)]
    assert listed == sorted(listed), "soonest first"
    assert html.count("· 时光忆站") == 3


def test_only_coming_not_cancelled_activities_of_this_service_are_listed(
    client, make_menu_service, make_class
):
    service = make_menu_service("剪纸兴趣班")
    other = make_menu_service("编织小组")
    listed = make_class(service, 3)
    left_out = [
        make_class(service, -7),  # past
        make_class(service, 4, cancelled_at=utcnow()),
        make_class(service, 5, kind=ShiftKind.DUTY),  # the people staffing it, not a date for residents
        make_class(other, 6),
    ]
    html = client.get(service_page(service)).get_data(as_text=True)
    assert shown(listed.starts_at) in html
    for shift in left_out:
        assert shown(shift.starts_at) not in html


def test_a_service_without_coming_activities_shows_no_dates(client, make_menu_service, make_class):
    service = make_menu_service("剪纸兴趣班")
    make_class(service, 3, kind=ShiftKind.DUTY)
    for url in (service_page(service), MENU):
        assert "近期活动安排" not in client.get(url).get_data(as_text=True)


def test_service_page_shows_the_next_six_dates(client, make_menu_service, make_class):
    service = make_menu_service("剪纸兴趣班")
    classes = [make_class(service, days) for days in range(1, 9)]
    html = client.get(service_page(service)).get_data(as_text=True)
    assert [shown(shift.starts_at) in html for shift in classes] == [True] * 6 + [False] * 2


def test_menu_shows_the_next_two_dates_under_each_service(client, make_menu_service, make_class):
    paper = make_menu_service("剪纸兴趣班")
    knitting = make_menu_service("编织小组")
    paper_classes = [make_class(paper, days) for days in (1, 8, 15)]
    knitting_class = make_class(knitting, 3, location="邻里议站")
    for html in (
        client.get(MENU).get_data(as_text=True),
        client.get(MENU, headers=HTMX).get_data(as_text=True),
    ):
        paper_card = html[html.index("剪纸兴趣班") : html.index("编织小组")]
        assert (
            shown(paper_classes[0].starts_at) in paper_card
            and shown(paper_classes[1].starts_at) in paper_card
        )
        assert shown(paper_classes[2].starts_at) not in html
        knitting_card = html[html.index("编织小组") :]
        assert shown(knitting_class.starts_at) in knitting_card and "邻里议站" in knitting_card


def test_public_pages_show_nothing_about_the_people_on_an_activity(
    client, make_menu_service, make_class, make_user, place, wait
):
    service = make_menu_service("剪纸兴趣班")
    shift = make_class(service, 2, title="剪纸课（内部）", notes="钥匙在王阿姨家")
    helper = make_user(Role.VOLUNTEER, display_name="叶美玲", phone="17000000008", kind=Kind.PARTY_MEMBER)
    place(shift, helper)
    wait(shift, make_user(Role.VOLUNTEER, display_name="廖志强", phone="17000000025"))
    for url in (MENU, service_page(service)):
        html = client.get(url).get_data(as_text=True)
        assert shown(shift.starts_at) in html and "时光忆站" in html
        for private in ("叶美玲", "17000000008", "0008", "廖志强", "17000000025", "钥匙", "剪纸课（内部）"):
            assert private not in html, (url, private)


def test_another_stations_activities_never_show(client, make_menu_service, make_class, make_station):
    service = make_menu_service("剪纸兴趣班")
    other = make_station(name="阳光驿站")
    # Linked across stations behind the rules' back: still only this station's shifts count.
    stray = make_class(service, 2, station=other)
    assert shown(stray.starts_at) not in client.get(service_page(service)).get_data(as_text=True)


def test_an_unpublished_service_and_its_dates_stay_hidden(client, make_menu_service, make_class):
    service = make_menu_service("法律咨询", published=False)
    shift = make_class(service, 2)
    assert client.get(service_page(service)).status_code == 404
    assert shown(shift.starts_at) not in client.get(MENU).get_data(as_text=True)


def test_menu_costs_the_same_queries_however_many_services_and_dates(
    client, make_menu_service, make_class, count_queries
):
    def add(services: int, classes: int):
        for number in range(services):
            service = make_menu_service(f"活动{services}-{number}", category=f"分类{number % 3}")
            for days in range(1, classes + 1):
                make_class(service, days)

    add(1, 1)
    with count_queries() as few:
        client.get(MENU)
        client.get(MENU, headers=HTMX)
    add(6, 4)
    with count_queries() as many:
        client.get(MENU)
        client.get(MENU, headers=HTMX)
    assert many.count == few.count
