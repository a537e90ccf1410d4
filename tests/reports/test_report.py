"""The monthly report: what the secretary reads, downloads and prints, and who may see it."""

# The factories are fixtures of tests/reports/conftest.py; test arguments name them.

import re
from datetime import time

import pytest

from scheduler.models import AssignmentState, Kind, RequestState, Role, User
from tests.reports.conftest import HTMX, MARCH_URL, in_march, section


@pytest.fixture
def other_station_in_march(
    make_station, make_user, make_shift, place, make_done_task, make_service, make_request
):
    """Another compound's busy March: none of it may reach this station's report."""
    other = make_station(name="隔壁小区驿站")
    stranger = make_user(station=other, display_name="外站志愿者", kind=Kind.BUILDING_HEAD)
    shift = make_shift(station=other, starts_at=in_march(3), hours=8, capacity=5)
    place(shift, stranger, AssignmentState.ATTENDED)
    make_done_task(stranger, minutes=300, done_at=in_march(4), station=other)
    service = make_service("外站服务", station=other)
    make_request(service, created_at=in_march(5), state=RequestState.DONE, done_at=in_march(6), rating=1)
    return other


def test_summary_gives_the_months_numbers_in_one_sentence(admin_client, march, other_station_in_march):
    html = admin_client.get(MARCH_URL).get_data(as_text=True)
    summary = section(html, "summary-title")
    assert (
        "2025年3月，共有 4 名志愿者参与服务，累计服务 13.8 小时：开展值班和活动 3 场，"
        "完成上门服务 4 次，共计 10 人次。" in summary
    )
    assert "共计 10 人次。收到居民点单 4 件，办结 3 件。居民评价平均 4.0 分（满分 5 分）。" in summary
    assert "参与志愿者（人） 4 服务时长（小时） 13.8 服务人次 10" in summary
    assert "外站" not in html


def test_summary_in_english_keeps_spaces_between_sentences(admin_client, march):
    admin_client.set_cookie("lang", "en")
    summary = section(admin_client.get(MARCH_URL).get_data(as_text=True), "summary-title")
    assert (
        "In March 2025, 4 volunteers gave 13.8 hours of service: 3 shifts and activities held, "
        "4 home services done, 10 person-times in all. Residents asked for 4 services; 3 were done. "
        "Their average rating was 4.0 out of 5." in summary
    )


def test_hours_per_volunteer_most_first_with_kind_and_building(admin_client, march, other_station_in_march):
    table = section(admin_client.get(MARCH_URL).get_data(as_text=True), "volunteers-title")
    assert re.findall(r"(\S+) (?:楼栋长|党员|居民志愿者|支部书记)", table) == [
        "张桂兰",
        "王秀英",
        "李德明",
        "王书记",
    ]
    assert "张桂兰 楼栋长 4 1.5 5.5" in table
    assert "王秀英 居民志愿者 3.5 0.3 3.8" in table
    assert "李德明 党员 2.5 0.5 3" in table
    assert "王书记 支部书记 1.5 0 1.5" in table
    assert "合计 11.5 2.3 13.8" in table
    assert "刘强" not in table, "a no-show and an unrecorded place give no hours"


def test_names_only_never_phones(admin_client, march):
    html = admin_client.get(MARCH_URL).get_data(as_text=True)
    assert not re.search(r"1[3-9]\d{9}", html)
    csv = admin_client.get(f"{MARCH_URL}/hours.csv").get_data(as_text=True)
    assert not re.search(r"1[3-9]\d{9}", csv)


def test_building_is_shown_beside_the_kind(admin_client, app, march):
    from scheduler.extensions import db
    from scheduler.models import Building

    with app.app_context():
        head = db.session.get(User, march.head.id)
        head.building_id = db.session.scalar(db.select(Building.id).where(Building.name == "2号楼"))
        db.session.commit()
    assert "张桂兰 楼栋长 · 2号楼 4 1.5 5.5" in section(
        admin_client.get(MARCH_URL).get_data(as_text=True), "volunteers-title"
    )


def test_totals_by_kind_of_volunteer(admin_client, march):
    kinds = section(admin_client.get(MARCH_URL).get_data(as_text=True), "kinds-title")
    assert "党员 1 3 楼栋长 1 5.5 物业人员 0 0 居民志愿者 1 3.8 其他人员 1 1.5 合计 4 13.8" in kinds


def test_shifts_planned_filled_and_no_shows(admin_client, march):
    shifts = section(admin_client.get(MARCH_URL).get_data(as_text=True), "shifts-title")
    assert "计划场次 4 已排满的名额 8/9 (89%) 出勤（人次） 6 缺勤次数 1" in shifts
    assert "另有 1 个班次已取消，不计入。" in shifts
    assert "已结束的班次中还有 1 个名额未登记出勤。" in shifts
    assert "值班 3 83% 1 活动 1 100% 0" in shifts


def test_percentages_never_round_up_to_a_full_house():
    from scheduler.reports.monthly import percent

    assert (percent(199, 200), percent(200, 200), percent(1, 8), percent(2, 3), percent(0, 0)) == (
        99,
        100,
        13,
        67,
        None,
    )


def test_home_visits_by_kind_flags_and_residents_in_care(admin_client, march):
    visits = section(admin_client.get(MARCH_URL).get_data(as_text=True), "visits-title")
    assert "探访 2 1.5 送药 1 0.5 消杀 0 0 维修 1 0.3 其他帮助 0 0 合计 4 2.3" in visits
    assert "发现问题的探访 2 （已处理 1）" in visits
    assert "关爱对象 4" in visits
    assert "每月应访 / 已访 2/3 (67%)" in visits
    assert "探访到的居民（人） 3" in visits


def test_requests_by_service_in_menu_order_with_average_rating(admin_client, march, other_station_in_march):
    requests = section(admin_client.get(MARCH_URL).get_data(as_text=True), "requests-title")
    assert "送药上门 3 2 1 ★ 4.5 2 条评价 陪同就医 1 1 0 ★ 3.0 1 条评价 合计 4 3 1 ★ 4.0 3 条评价" in requests
    assert "水电小修" not in requests and "外站服务" not in requests


def test_a_quiet_month_says_so(admin_client):
    html = admin_client.get("/reports/2024-06").get_data(as_text=True)
    assert "本月还没有记录服务时长。" in html
    assert "本月没有居民点单。" in html
    assert "2024年6月，共有 0 名志愿者参与服务，累计服务 0 小时" in html


def test_the_footer_names_beijing_time_not_a_zone_id(admin_client):
    """Catches: the footer reading "时区 Asia/Shanghai", which the secretary cannot read."""
    footer = admin_client.get("/reports/2024-06").get_data(as_text=True).split('class="report-footer')[1]
    assert "时间均为北京时间" in footer.split("</p>")[0]
    assert "Asia/Shanghai" not in footer


# Months and navigation ---------------------------------------------------------------------------


def test_reports_home_is_the_current_month(admin_client):
    from datetime import datetime

    from tests.shifts.conftest import SHANGHAI

    today = datetime.now(SHANGHAI).date()
    html = admin_client.get("/reports/").get_data(as_text=True)
    assert f"月度报表 · {today.year}年{today.month}月" in html
    assert "下个月" not in html, "no report of a month that has not begun"
    assert "上个月" in html


def test_past_month_links_both_ways_with_htmx(admin_client):
    html = admin_client.get(MARCH_URL).get_data(as_text=True)
    for month in ("2025-02", "2025-04"):
        assert f'href="/reports/{month}"' in html
        assert f'hx-get="/reports/{month}" hx-target="#report" hx-swap="outerHTML" hx-push-url="true"' in html
    assert 'href="/reports/2025-01"' not in html


def test_december_leads_to_january(admin_client):
    html = admin_client.get("/reports/2024-12").get_data(as_text=True)
    assert 'href="/reports/2024-11"' in html and 'href="/reports/2025-01"' in html


def test_first_plannable_month_has_no_previous(admin_client):
    assert 'href="/reports/1999-12"' not in admin_client.get("/reports/2000-01").get_data(as_text=True)


def test_htmx_gets_the_report_and_a_title_the_page_opened_directly_gets_everything(admin_client, march):
    fragment = admin_client.get(MARCH_URL, headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert body.startswith("<title>2025年3月月度报表 · ")
    assert '<article id="report"' in body and "<html" not in body and 'class="topbar"' not in body
    assert "HX-Request" in fragment.headers["Vary"]
    page = admin_client.get(MARCH_URL).get_data(as_text=True)
    assert "<html" in page and page.count("<title>") == 1 and "2025年3月月度报表" in page
    assert re.search(r'href="/static/css/report-print\.[0-9a-f]{12}\.css" media="print"', page)
    assert "报表已按 A4 纸排版" in page


def test_month_picker_goes_to_the_months_address(admin_client):
    response = admin_client.get("/reports/?month=2025-03")
    assert response.status_code == 302 and response.headers["Location"] == MARCH_URL


@pytest.mark.parametrize(
    "month",
    [
        "2025-13",
        "2025-00",
        "2025-3",
        "25-03",
        "2025-03-01",
        "1999-12",
        "2100-01",
        "２０２５-03",
        "march",
        "0000-01",
    ],
)
def test_a_bad_month_in_the_address_is_not_found(admin_client, month):
    assert admin_client.get(f"/reports/{month}").status_code == 404
    assert admin_client.get(f"/reports/{month}/hours.csv").status_code == 404
    assert admin_client.get("/reports/", query_string={"month": month}).status_code == 404


# CSV and paper -----------------------------------------------------------------------------------


def test_csv_of_hours_opens_in_excel_with_chinese_intact(admin_client, march, other_station_in_march):
    response = admin_client.get(f"{MARCH_URL}/hours.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"service-hours-2025-03.csv\"; filename*=UTF-8''"
        "%E5%BF%97%E6%84%BF%E6%9C%8D%E5%8A%A1%E6%97%B6%E9%95%BF-2025-03.csv"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines == [
        "姓名,身份,楼栋,值班和活动（小时）,上门服务（小时）,合计（小时）",
        "张桂兰,楼栋长,,4,1.5,5.5",
        "王秀英,居民志愿者,,3.5,0.3,3.8",
        "李德明,党员,,2.5,0.5,3",
        "王书记,支部书记,,1.5,0,1.5",
    ]


def test_csv_keeps_a_name_from_running_as_a_formula(admin_client, make_user, make_shift, place):
    place(make_shift(starts_at=in_march(3)), make_user(display_name="=1+2"), AssignmentState.ATTENDED)
    lines = admin_client.get(f"{MARCH_URL}/hours.csv").data.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("'=1+2,")


def test_report_page_links_the_csv(admin_client):
    assert 'href="/reports/2025-03/hours.csv" download' in admin_client.get(MARCH_URL).get_data(as_text=True)


def test_print_sheet_is_a4(app):
    from pathlib import Path

    sheet = (Path(app.static_folder) / "css" / "report-print.css").read_text()
    assert "@page { size: A4 portrait;" in sheet


# Who may read it ---------------------------------------------------------------------------------

REPORT_URLS = ["/reports/", MARCH_URL, f"{MARCH_URL}/hours.csv"]


@pytest.mark.parametrize("url", REPORT_URLS)
def test_admin_and_coordinator_read_reports(admin_client, coordinator_client, url):
    assert admin_client.get(url).status_code == 200
    assert coordinator_client.get(url).status_code == 200


@pytest.mark.parametrize("url", REPORT_URLS)
@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.SUPERADMIN])
def test_volunteers_and_the_street_office_are_refused(auth, role, url):
    response = auth.login(role, kind=Kind.BUILDING_HEAD if role == Role.VOLUNTEER else None).get(url)
    assert response.status_code == 403


@pytest.mark.parametrize("url", REPORT_URLS)
def test_anonymous_visitor_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert client.get(url, headers=HTMX).status_code == 401


def test_other_stations_secretary_sees_only_their_own_station(auth, march, other_station_in_march):
    other_secretary = auth.login(Role.ADMIN, station=other_station_in_march)
    html = other_secretary.get(MARCH_URL).get_data(as_text=True)
    table = section(html, "volunteers-title")
    assert "外站志愿者 楼栋长 8 5 13" in table
    assert "张桂兰" not in html and "送药上门" not in html
    assert "共有 1 名志愿者参与服务，累计服务 13 小时" in html


def test_nav_shows_reports_to_staff_only(admin_client, coordinator_client, volunteer_client):
    assert 'href="/reports/"' in admin_client.get("/me").get_data(as_text=True)
    assert 'href="/reports/"' in coordinator_client.get("/me").get_data(as_text=True)
    assert 'href="/reports/"' not in volunteer_client.get("/me").get_data(as_text=True)


# Cost --------------------------------------------------------------------------------------------


def add_busy_month(station, people, make_shift, place, make_done_task, make_service, make_request):
    """More of everything: shifts with attendance, done tasks, requests across services."""
    services = [make_service(f"加量服务{number}") for number in range(3)]
    for day in range(1, 15):
        shift = make_shift(starts_at=in_march(day, time(14, 0)), hours=2, capacity=len(people))
        for person in people:
            place(shift, person, AssignmentState.ATTENDED)
        make_done_task(people[day % len(people)], minutes=15 + day, done_at=in_march(day, time(18, 0)))
        make_request(
            services[day % 3],
            created_at=in_march(day),
            state=RequestState.DONE,
            done_at=in_march(day),
            rating=4,
        )


def test_report_costs_the_same_queries_whatever_the_data(
    admin_client,
    count_queries,
    station,
    make_user,
    make_shift,
    place,
    make_done_task,
    make_service,
    make_request,
):
    factories = (make_shift, place, make_done_task, make_service, make_request)
    add_busy_month(station, [make_user()], *factories)
    with count_queries() as small:
        assert admin_client.get(MARCH_URL).status_code == 200
    with count_queries() as small_csv:
        assert admin_client.get(f"{MARCH_URL}/hours.csv").status_code == 200

    add_busy_month(station, [make_user(kind=kind) for kind in Kind], *factories)
    with count_queries() as large:
        html = admin_client.get(MARCH_URL).get_data(as_text=True)
    with count_queries() as large_csv:
        assert admin_client.get(f"{MARCH_URL}/hours.csv").status_code == 200
    assert "共有 5 名志愿者参与服务" in html
    assert large.count == small.count, large.statements
    assert large_csv.count == small_csv.count
    # 10 for the month's tables, 4 for the 12-month charts (hours 2, residents in care 1, requests 1),
    # 1 for the time bank's credits.
    assert small.count <= 15, small.statements
