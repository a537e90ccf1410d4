"""The week board, the picker, assigning and removing people: what the secretary sees and does."""

from datetime import time, timedelta

import sqlalchemy as sa
import time_machine
from werkzeug.datastructures import MultiDict

from scheduler.extensions import db
from scheduler.models import Assignment, AssignmentState, Building, Kind, Notice, Role, Shift
from tests.forms import form_on, read_forms, submit_form
from tests.shifts.conftest import HTMX, SHANGHAI, days_from_now, local, this_week, week_of


def card_of(html: str, shift) -> str:
    """The board card of one shift, from its opening tag to its end."""
    start = html.index(f'<article id="shift-{shift.id}"')
    return html[start : html.index("</article>", start)]


def test_board_shows_each_shift_with_its_people_and_what_is_missing(
    admin_client, make_shift, make_user, place
):
    shift = make_shift(title="驿站值班", capacity=3)
    place(shift, make_user(display_name="王秀英"))
    place(shift, make_user(display_name="李德明"), AssignmentState.ASSIGNED)
    place(shift, make_user(display_name="赵玉珍"), AssignmentState.DECLINED, decline_reason="要去医院复查")
    html = admin_client.get(week_of(shift.starts_at)).get_data(as_text=True)
    card = card_of(html, shift)
    assert 'class="shift-card unfilled has-declined"' in card
    assert "2/3" in card
    assert "王秀英" in card and "已确认" in card
    assert "李德明" in card and "待答复" in card
    assert "赵玉珍" in card and "已婉拒" in card and "要去医院复查" in card
    assert "09:00–11:30" in card and "先锋驿站" in card


def test_board_opens_on_this_week_and_any_day_names_its_week(admin_client, make_shift):
    monday = make_shift(title="周一早班", starts_at=this_week(0, time(8, 0)))
    sunday = make_shift(title="周日晚班", starts_at=this_week(6, time(19, 0)))
    next_monday = make_shift(title="下周一早班", starts_at=this_week(0, time(8, 0), weeks=1))
    last_sunday = make_shift(title="上周日晚班", starts_at=this_week(6, time(19, 0), weeks=-1))
    board = admin_client.get("/shifts/").get_data(as_text=True)
    assert monday.title in board and sunday.title in board
    assert next_monday.title not in board and last_sunday.title not in board
    for weekday in range(7):
        day = this_week(weekday).astimezone(SHANGHAI).date()
        week = admin_client.get(f"/shifts/week/{day.isoformat()}").get_data(as_text=True)
        assert monday.title in week and sunday.title in week and next_monday.title not in week
    assert admin_client.get("/shifts/week/not-a-date").status_code == 404


def test_week_navigation_is_a_fragment_for_htmx_and_a_page_when_opened_directly(admin_client, make_shift):
    shift = make_shift(starts_at=days_from_now(14))
    url = week_of(shift.starts_at)
    fragment = admin_client.get(url, headers=HTMX)
    page = admin_client.get(url)
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]
    fragment_html, page_html = fragment.get_data(as_text=True), page.get_data(as_text=True)
    assert fragment_html.lstrip().startswith('<section id="week-board"') and "<html" not in fragment_html
    assert "<html" in page_html and 'id="week-board"' in page_html
    assert shift.title in fragment_html
    assert 'hx-push-url="true"' in fragment_html, "the address follows the week"


def test_picker_shows_who_is_free_with_kind_building_and_hours(
    app, admin_client, station, make_shift, make_user, place
):
    with app.app_context():
        building = sa.select(Building).where(Building.station_id == station.id, Building.name == "2号楼")
        building_id = app.extensions["sqlalchemy"].session.scalar(building).id
    shift = make_shift(starts_at=days_from_now(3))
    busy = make_user(display_name="忙碌者")
    make_user(display_name="新志愿者", kind=Kind.BUILDING_HEAD, building_id=building_id)
    worked = make_user(display_name="老志愿者")
    place(make_shift(title="便民服务", starts_at=days_from_now(3, time(10, 0))), busy)
    # Earlier the same month when possible: the picker counts hours in the shift's month.
    place(make_shift(title="议事接待", starts_at=shift.starts_at - timedelta(hours=5), hours=4), worked)
    came = make_shift(title="剪纸课", starts_at=shift.starts_at - timedelta(hours=7), hours=1.5)
    place(came, worked, AssignmentState.ATTENDED)
    html = admin_client.get(f"/shifts/{shift.id}/picker").get_data(as_text=True)
    assert "楼栋长 · 2号楼" in html
    # Done and planned hours apart, labelled: mixed they read as 5.5 h of service that is not yet done.
    assert "本月：已服务 1.5 小时，已安排 4 小时" in html
    assert "没空：便民服务" in html
    order = [html.index(name) for name in ("新志愿者", "老志愿者", "忙碌者")]
    assert order == sorted(order), "free and least busy first, busy people last"
    busy_row = html[html.index("忙碌者") :].split("</li>", 1)[0]
    assert "/assign" not in busy_row, "busy people cannot be assigned"


def test_picker_search_returns_just_the_list(admin_client, make_shift, make_user):
    shift = make_shift()
    make_user(display_name="王秀英")
    make_user(display_name="李德明")
    response = admin_client.get(f"/shifts/{shift.id}/picker?q=秀英", headers={**HTMX, "HX-Trigger-Name": "q"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<ul id="picker-list"')
    assert "王秀英" in html and "李德明" not in html


def test_assigning_over_htmx_returns_the_card_and_refreshes_the_picker(
    app, admin_client, make_shift, make_user, read
):
    shift, volunteer = make_shift(), make_user(display_name="王秀英")
    response = admin_client.post(f"/shifts/{shift.id}/assign", data={"user_id": volunteer.id}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<article id="shift-{shift.id}"')
    assert "王秀英" in html and "1/2" in html
    assert 'id="picker-panel"' in html and 'hx-swap-oob="true"' in html
    texts = read(lambda s: list(s.scalars(sa.select(Notice.text).where(Notice.user_id == volunteer.id))))
    assert texts and "请确认或婉拒" in texts[0]


def test_a_refused_assignment_is_a_409_fragment_with_the_reason(admin_client, make_shift, make_user, place):
    shift = make_shift(capacity=1)
    place(shift, make_user())
    response = admin_client.post(f"/shifts/{shift.id}/assign", data={"user_id": make_user().id}, headers=HTMX)
    assert response.status_code == 409
    assert "这个班次已满" in response.get_data(as_text=True)


def test_a_refused_plain_assignment_goes_back_to_the_picker_with_the_message(
    admin_client, make_shift, make_user
):
    shift = make_shift()
    response = admin_client.post(f"/shifts/{shift.id}/assign", data={"user_id": "999999"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/shifts/{shift.id}/picker")
    assert "请选择本驿站在用账号的人员" in admin_client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert admin_client.post(f"/shifts/{shift.id}/assign", data={"user_id": "x"}).status_code == 302


def test_plain_assignment_redirects_to_the_week(admin_client, make_shift, make_user):
    shift = make_shift()
    response = admin_client.post(f"/shifts/{shift.id}/assign", data={"user_id": make_user().id})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{week_of(shift.starts_at)}#shift-{shift.id}"


def test_removing_over_htmx_returns_the_card(admin_client, make_shift, make_user, place, read):
    shift = make_shift()
    assignment = place(shift, make_user(display_name="王秀英"))
    # As confirm.js sends it once the question was answered yes.
    response = admin_client.post(
        f"/shifts/assignments/{assignment.id}/remove", data={"confirmed": "1"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "王秀英" not in response.get_data(as_text=True).split("flashes")[0]
    assert read(lambda s: s.get(Assignment, assignment.id)) is None


def press_the_previews_button(client, preview):
    """Submit the preview's own form as the browser does: its hidden ids and its "copy" button."""
    [form] = [form for form in read_forms(preview.get_data(as_text=True)) if form.action.endswith("/copy")]
    pairs = [*form.successful_controls(), ("apply", "1")]
    return client.post(form.action, data=MultiDict(pairs), headers={"X-CSRFToken": ""})


def test_copying_a_week_shows_a_preview_and_writes_nothing_until_confirmed(
    app, admin_client, make_shift, make_user, place
):
    """Catches the copy running blind: the board's button must only show what would happen."""
    shift = make_shift(starts_at=days_from_now(1))
    place(shift, make_user(display_name="王秀英"))
    week = week_of(shift.starts_at)
    preview = submit_form(admin_client, week, form=f"{week}/copy")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "预览" in html
    assert "新建 1 个班次" in html and "1 人待确认" in html and "王秀英" in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Shift.id))) == 1, "the preview wrote a shift"

    response = press_the_previews_button(admin_client, preview)
    next_week = week_of(shift.starts_at + timedelta(days=7))
    assert response.status_code == 302 and response.headers["Location"] == next_week
    html = admin_client.get(next_week).get_data(as_text=True)
    assert "已复制到下周：新建 1 个班次，1 人待确认" in html
    assert "待答复" in html


def test_copying_writes_only_what_the_preview_showed(app, admin_client, make_shift, make_user, place):
    """Catches the apply step re-reading the week: someone put on the shift after the preview was
    not in it, so is not asked; and nothing is copied twice when the preview is sent again."""
    shift = make_shift(starts_at=days_from_now(1), capacity=3)
    place(shift, make_user(display_name="王秀英"))
    week = week_of(shift.starts_at)
    preview = submit_form(admin_client, week, form=f"{week}/copy")
    late = make_user(display_name="李建国")
    place(shift, late)
    press_the_previews_button(admin_client, preview)
    press_the_previews_button(admin_client, preview)  # a double tap copies nothing more
    with app.app_context():
        copies = db.session.scalars(sa.select(Shift).where(Shift.starts_at > shift.starts_at)).all()
        assert len(copies) == 1
        assert [a.user.display_name for a in copies[0].assignments] == ["王秀英"]


def test_board_and_picker_cost_the_same_number_of_queries_for_more_data(
    admin_client, make_shift, make_user, place, count_queries
):
    def add_shifts(count):
        for index in range(count):
            shift = make_shift(starts_at=days_from_now(1, time(8, 0)) + timedelta(hours=index * 3), hours=2)
            place(shift, make_user())
            place(shift, make_user(), AssignmentState.DECLINED, decline_reason="x")
        return shift

    shift = add_shifts(2)
    url = week_of(shift.starts_at)
    with count_queries() as few:
        admin_client.get(url)
        admin_client.get(f"/shifts/{shift.id}/picker")
    add_shifts(8)
    with count_queries() as many:
        admin_client.get(url)
        admin_client.get(f"/shifts/{shift.id}/picker")
    assert many.count == few.count


def test_series_form_plans_weeks_in_one_go(admin_client, read, station):
    response = admin_client.post(
        "/shifts/series/new",
        data={
            "title": "驿站值班",
            "kind": "duty",
            "location": "先锋驿站",
            "weekdays": ["1", "2", "3", "4", "5"],
            "first_day": "2026-03-02",
            "last_day": "2026-04-24",
            "start": "09:00",
            "end": "11:30",
            "extra_start": "14:30",
            "extra_end": "17:00",
            "capacity": "2",
            "self_signup": "",
            "notes": "",
        },
    )
    assert response.status_code == 302
    shifts = read(lambda s: list(s.scalars(sa.select(Shift).where(Shift.station_id == station.id))))
    assert len(shifts) == 8 * 5 * 2
    assert not any(shift.self_signup for shift in shifts)
    assert "已排好 80 个班次" in admin_client.get(response.headers["Location"]).get_data(as_text=True)


def test_series_form_rejects_bad_input_next_to_the_field_and_keeps_it(admin_client, read):
    from tests.conftest import form_error

    response = admin_client.post(
        "/shifts/series/new",
        data={
            "title": "剪纸\x07课",
            "kind": "duty",
            "location": "时光忆站",
            "first_day": "2026-03-02",
            "last_day": "2026-02-02",
            "start": "25:00",
            "end": "11:30",
            "extra_start": "14:30",
            "extra_end": "",
            "capacity": "51",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert form_error(html, "title")
    assert form_error(html, "weekdays")
    assert form_error(html, "start")
    assert form_error(html, "capacity")
    assert form_error(html, "extra_end") == "第二个时段的开始和结束时间要都填，或都不填。"
    assert 'value="时光忆站"' in html and 'value="51"' in html
    assert read(lambda s: s.scalar(sa.select(sa.func.count(Shift.id)))) == 0


def test_series_form_reports_rule_refusals_next_to_the_field(admin_client):
    from tests.conftest import form_error

    response = admin_client.post(
        "/shifts/series/new",
        data={
            "title": "编织课",
            "kind": "activity",
            "weekdays": ["6"],
            "first_day": "2026-03-02",
            "last_day": "2026-03-06",
            "start": "09:30",
            "end": "11:00",
            "capacity": "2",
        },
    )
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "weekdays") == "这段日期内没有所选的星期几。"


def test_one_shift_form_and_edit_only_this_one(admin_client, read, station):
    response = submit_form(
        admin_client,
        "/shifts/new",
        {
            "title": "少儿科学课",
            "kind": "activity",
            "location": "服务易站",
            "day": "2026-07-18",
            "start": "09:30",
            "end": "11:00",
            "capacity": "4",
            "self_signup": True,
        },
    )
    assert response.status_code == 302
    shift = read(lambda s: s.scalar(sa.select(Shift)))
    edit = form_on(admin_client, f"/shifts/{shift.id}/edit")
    assert edit.named("day")[0].value == "2026-07-18" and edit.named("start")[0].value == "09:30"
    assert not edit.named("scope"), "a single shift has no series to change"
    response = submit_form(admin_client, f"/shifts/{shift.id}/edit", {"day": "2026-07-19", "capacity": "5"})
    assert response.status_code == 302
    changed = read(lambda s: s.get(Shift, shift.id))
    assert (changed.capacity, changed.starts_at.day, changed.title) == (5, 19, "少儿科学课")


def test_cancelling_tells_the_people_on_the_shift(admin_client, make_shift, make_user, place, read):
    shift, volunteer = make_shift(), make_user()
    place(shift, volunteer)
    url = f"/shifts/{shift.id}/cancel"
    assert "取消后无法恢复" in admin_client.get(url).get_data(as_text=True)
    page = form_on(admin_client, url)  # kept open in a second tab
    response = submit_form(admin_client, url)
    assert response.status_code == 302
    assert read(lambda s: s.get(Shift, shift.id)).cancelled
    texts = read(lambda s: list(s.scalars(sa.select(Notice.text).where(Notice.user_id == volunteer.id))))
    assert any("已取消" in text for text in texts)
    again = admin_client.post(url, data=MultiDict(page.successful_controls()))
    assert again.status_code == 409 and "已经取消" in again.get_data(as_text=True)


def test_attendance_ticks_confirmed_people_and_counts_hours_and_no_shows(
    admin_client, make_shift, make_user, place, read
):
    shift = make_shift(starts_at=days_from_now(-1), hours=2.5)
    came = make_user(display_name="王秀英")
    stayed_away = make_user(display_name="李德明")
    place(shift, came)
    place(shift, stayed_away, AssignmentState.ASSIGNED)
    form = admin_client.get(f"/shifts/{shift.id}/attendance").get_data(as_text=True)
    assert f'checked id="attended-0" name="attended" type="checkbox" value="{came.id}"' in form
    assert f'id="attended-1" name="attended" type="checkbox" value="{stayed_away.id}"' in form
    response = admin_client.post(f"/shifts/{shift.id}/attendance", data={"attended": [str(came.id)]})
    assert response.status_code == 302
    month = shift.starts_at.astimezone().strftime("%Y-%m")
    people = admin_client.get(f"/shifts/people?month={month}").get_data(as_text=True)
    came_row = people[people.index("王秀英") :].split("</tr>", 1)[0]
    absent_row = people[people.index("李德明") :].split("</tr>", 1)[0]
    assert "2.5" in came_row
    assert '<span class="badge alert">1</span>' in absent_row


def test_coordinator_uses_the_board_too(coordinator_client, make_shift):
    shift = make_shift()
    assert coordinator_client.get(week_of(shift.starts_at)).status_code == 200
    assert "排班" in coordinator_client.get("/me").get_data(as_text=True)


def test_staff_see_this_weeks_gaps_on_their_home_page(admin_client, make_shift, make_user, place):
    # Next Wednesday morning, so that "tonight" is still ahead and still this week on any run day.
    wednesday = this_week(2, weeks=1).date()
    with time_machine.travel(local(wednesday, time(10, 0)), tick=False):
        shift = make_shift(title="老年活动室值守", starts_at=local(wednesday, time(23, 0)), capacity=2)
        place(shift, make_user())
        html = admin_client.get("/me").get_data(as_text=True)
    assert "本周还缺人的班次" in html
    section = html.split("本周还缺人的班次", 1)[1].split("</section>", 1)[0]
    assert "老年活动室值守" in section and "1/2" in section


def test_nav_item_only_for_staff(admin_client, volunteer_client):
    assert 'href="/shifts/"' in admin_client.get("/me").get_data(as_text=True)
    assert 'href="/shifts/"' not in volunteer_client.get("/me").get_data(as_text=True)


def test_declined_role_is_not_offered_in_the_picker(admin_client, make_shift, make_user):
    shift = make_shift()
    make_user(Role.SUPERADMIN, display_name="街道管理员")
    make_user(display_name="离开的人", active=False)
    html = admin_client.get(f"/shifts/{shift.id}/picker").get_data(as_text=True)
    assert "街道管理员" not in html and "离开的人" not in html


def test_dates_far_out_of_range_are_refused_not_crashed(admin_client):
    from tests.conftest import form_error

    assert admin_client.get("/shifts/week/9999-12-31").status_code == 404
    assert admin_client.get("/shifts/week/0001-01-01").status_code == 404
    assert admin_client.get("/shifts/people?month=9999-12").status_code == 200
    response = admin_client.post(
        "/shifts/new",
        data={
            "title": "值班",
            "kind": "duty",
            "day": "9999-12-31",
            "start": "22:00",
            "end": "02:00",
            "capacity": "1",
        },
    )
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "day") == "请选择 2000 年到 2099 年之间的日期。"
