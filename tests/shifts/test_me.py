"""A volunteer's shifts on /me: answering, signing up, waiting, withdrawing and swapping from a phone."""

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
import time_machine

from scheduler.database import utcnow
from scheduler.models import Assignment, AssignmentState, Role, WaitlistEntry
from scheduler.shifts import home
from tests.conftest import form_error
from tests.shifts.conftest import HTMX, days_from_now, this_week


def section(html: str) -> str:
    start = html.index('<section id="my-shifts"')
    return html[start : html.index("</section>", start)]


def test_my_shifts_soonest_first_with_their_state(volunteer_client, make_shift, place):
    me = volunteer_client.user
    later = make_shift(title="编织课", starts_at=days_from_now(5))
    sooner = make_shift(title="驿站值班", starts_at=days_from_now(1))
    place(later, me)
    place(sooner, me, AssignmentState.ASSIGNED)
    place(make_shift(title="已结束的班", starts_at=days_from_now(-3)), me, AssignmentState.ATTENDED)
    html = section(volunteer_client.get("/me").get_data(as_text=True))
    mine = html.split("<h3>可报名的班次")[0]
    assert mine.index("驿站值班") < mine.index("编织课")
    assert "待答复" in mine and "已确认" in mine
    assert "已结束的班" not in html


def test_confirm_over_htmx_re_renders_the_section(volunteer_client, make_shift, place, read):
    assignment = place(make_shift(), volunteer_client.user, AssignmentState.ASSIGNED)
    response = volunteer_client.post(f"/shifts/assignments/{assignment.id}/confirm", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="my-shifts"')
    assert "已确认，谢谢您！" in html, "the flash message rides along out of band"
    assert read(lambda s: s.get(Assignment, assignment.id)).state == AssignmentState.CONFIRMED


def test_decline_asks_for_a_reason_and_keeps_what_was_typed(volunteer_client, make_shift, place, read):
    assignment = place(make_shift(), volunteer_client.user, AssignmentState.ASSIGNED)
    url = f"/shifts/assignments/{assignment.id}/decline"
    field = f"decline-{assignment.id}-reason"
    empty = volunteer_client.post(url, data={field: "   "}, headers=HTMX)
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422
    assert form_error(html, field) == "请告诉工作人员原因，方便他们安排。"
    assert '<details class="decline-box" open>' in html
    too_long = volunteer_client.post(url, data={field: "很" * 201}, headers=HTMX)
    assert too_long.status_code == 422 and "很" * 201 in too_long.get_data(as_text=True)
    done = volunteer_client.post(url, data={field: "要带孙子去医院"}, headers=HTMX)
    assert done.status_code == 200
    declined = read(lambda s: s.get(Assignment, assignment.id))
    assert (declined.state, declined.decline_reason) == (AssignmentState.DECLINED, "要带孙子去医院")


def test_decline_without_javascript_has_its_own_page(volunteer_client, make_shift, place):
    assignment = place(make_shift(title="议事接待"), volunteer_client.user, AssignmentState.ASSIGNED)
    url = f"/shifts/assignments/{assignment.id}/decline"
    assert "不能参加“议事接待”" in volunteer_client.get(url).get_data(as_text=True)
    refused = volunteer_client.post(url, data={f"decline-{assignment.id}-reason": ""})
    assert refused.status_code == 422
    done = volunteer_client.post(url, data={f"decline-{assignment.id}-reason": "出差"})
    assert done.status_code == 302 and done.headers["Location"] == f"/me#my-shift-{assignment.shift_id}"


def test_open_shifts_show_free_places_and_sign_up_works_without_javascript(
    volunteer_client, make_shift, make_user, place, read
):
    shift = make_shift(title="便民服务", location="服务易站", capacity=3)
    place(shift, make_user())
    make_shift(title="只由工作人员安排", self_signup=False)
    html = section(volunteer_client.get("/me").get_data(as_text=True))
    open_part = html.split("<h3>可报名的班次", 1)[1]
    assert "便民服务" in open_part and "还有 2 个空位" in open_part
    assert "只由工作人员安排" not in html
    response = volunteer_client.post(f"/shifts/{shift.id}/signup")
    assert response.status_code == 302 and response.headers["Location"] == f"/me#my-shift-{shift.id}"
    card = volunteer_client.get("/me").get_data(as_text=True).split(f'id="my-shift-{shift.id}"')[1]
    assert "报名成功" in card.split("</li>")[0], "said in the card of the shift, where the page lands"
    holders = read(lambda s: s.scalar(sa.select(sa.func.count()).where(Assignment.shift_id == shift.id)))
    assert holders == 2


def test_sign_up_to_a_shift_that_filled_meanwhile_is_a_409_next_to_it(
    volunteer_client, make_shift, make_user, place
):
    shift = make_shift(title="剪纸课", capacity=1)
    page = volunteer_client.get("/me").get_data(as_text=True)  # still shows the free place
    assert f"/shifts/{shift.id}/signup" in page
    place(shift, make_user())
    response = volunteer_client.post(f"/shifts/{shift.id}/signup", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    item = html[html.index("剪纸课") :].split("</li>", 1)[0]
    assert "这个班次已满，您可以排队候补。" in item
    assert f"/shifts/{shift.id}/waitlist" in item


def test_join_and_leave_the_waiting_list(volunteer_client, make_shift, make_user, place, read):
    shift = make_shift(capacity=1)
    place(shift, make_user())
    assert volunteer_client.post(f"/shifts/{shift.id}/waitlist", headers=HTMX).status_code == 200
    html = volunteer_client.get("/me").get_data(as_text=True)
    assert "候补中" in html
    assert read(lambda s: s.scalar(sa.select(WaitlistEntry.user_id))) == volunteer_client.user.id
    assert volunteer_client.post(f"/shifts/{shift.id}/waitlist/leave", headers=HTMX).status_code == 200
    assert read(lambda s: s.scalar(sa.select(WaitlistEntry.id))) is None


def test_withdraw_until_the_cut_off_then_only_staff(volunteer_client, make_shift, place, read):
    me = volunteer_client.user
    far = place(make_shift(title="远的班", starts_at=days_from_now(3)), me)
    near = place(make_shift(title="近的班", starts_at=utcnow() + timedelta(hours=6)), me)
    html = section(volunteer_client.get("/me").get_data(as_text=True))
    far_item = html[html.index("远的班") :].split("</li>", 1)[0]
    near_item = html[html.index("近的班") :].split("</li>", 1)[0]
    assert "我来不了" in far_item and "前可以退出" in far_item
    assert "我来不了" not in near_item and "离开始时间太近" in near_item
    refused = volunteer_client.post(f"/shifts/assignments/{near.id}/withdraw", headers=HTMX)
    assert refused.status_code == 409 and "开始前 12 小时内不能自行退出" in refused.get_data(as_text=True)
    assert volunteer_client.post(f"/shifts/assignments/{far.id}/withdraw", headers=HTMX).status_code == 200
    assert read(lambda s: s.get(Assignment, far.id)) is None


def test_offer_a_place_and_another_volunteer_takes_it(auth, volunteer_client, make_shift, place, read):
    assignment = place(
        make_shift(title="老年活动室值守", starts_at=days_from_now(2, time(14, 30))), volunteer_client.user
    )
    offered = volunteer_client.post(f"/shifts/assignments/{assignment.id}/offer", headers=HTMX)
    assert "正在找人替班" in offered.get_data(as_text=True)
    colleague = auth.login(Role.VOLUNTEER, display_name="李志强")
    html = section(colleague.get("/me").get_data(as_text=True))
    assert "可以替班的班次" in html and "来不了，想请人替班" in html
    taken = colleague.post(f"/shifts/assignments/{assignment.id}/take", headers=HTMX)
    assert taken.status_code == 200 and "感谢您替班" in taken.get_data(as_text=True)
    assert read(lambda s: s.get(Assignment, assignment.id)).user_id == colleague.user.id
    assert "李志强 已接替" in volunteer_client.get("/me").get_data(as_text=True)


def test_a_volunteer_cannot_answer_for_someone_else(volunteer_client, make_shift, make_user, place, read):
    other = place(make_shift(), make_user(), AssignmentState.ASSIGNED)
    for action in ("confirm", "withdraw", "offer", "keep", "decline"):
        assert volunteer_client.post(f"/shifts/assignments/{other.id}/{action}").status_code == 404
    assert volunteer_client.get(f"/shifts/assignments/{other.id}/decline").status_code == 404
    assert read(lambda s: s.get(Assignment, other.id)).state == AssignmentState.ASSIGNED


def test_my_page_costs_the_same_number_of_queries_for_more_shifts(
    volunteer_client, make_shift, make_user, place, count_queries
):
    def add(count, offset):
        for index in range(count):
            shift = make_shift(starts_at=days_from_now(1 + offset + index))
            place(shift, volunteer_client.user, AssignmentState.ASSIGNED)
            make_shift(title="便民服务", starts_at=days_from_now(1 + offset + index, time(15, 0)))
            offered = place(
                make_shift(title="议事接待", starts_at=days_from_now(1 + offset + index, time(19, 0))),
                make_user(),
                swap_offered_at=utcnow(),
            )
            assert offered

    add(2, 0)
    with count_queries() as few:
        volunteer_client.get("/me")
    add(6, 2)
    with count_queries() as many:
        volunteer_client.get("/me")
    assert many.count == few.count


def test_the_staffs_week_overview_is_read_once_for_both_parts_of_my_page(auth, monkeypatch):
    builds = []
    build = home.build_staff_overview
    monkeypatch.setattr(home, "build_staff_overview", lambda user: builds.append(user.id) or build(user))
    page = auth.login(Role.ADMIN).get("/me").get_data(as_text=True)
    assert 'id="urgent"' in page and 'id="staff-shifts-title"' in page
    assert len(builds) == 1


def test_shifts_i_could_not_take_are_not_offered(volunteer_client, make_shift, make_user, place):
    me = volunteer_client.user
    place(make_shift(title="我的值班", starts_at=days_from_now(2, time(9, 0))), me)
    make_shift(title="同时的开放班次", starts_at=days_from_now(2, time(10, 0)))
    place(
        make_shift(title="同时的替班", starts_at=days_from_now(2, time(9, 30))),
        make_user(),
        swap_offered_at=utcnow(),
    )
    make_shift(title="下午的开放班次", starts_at=days_from_now(2, time(14, 30)))
    html = section(volunteer_client.get("/me").get_data(as_text=True))
    assert "下午的开放班次" in html
    assert "同时的开放班次" not in html and "同时的替班" not in html


def test_the_secretarys_week_says_whether_shifts_are_planned_or_filled(auth, make_shift, place, make_user):
    # Monday morning (Shanghai), so that the rest of the week lies ahead whatever day the suite runs.
    with time_machine.travel(datetime(2026, 11, 30, 1, 0, tzinfo=UTC), tick=False):
        admin_client = auth.login(Role.ADMIN)
        assert "本周剩余时间还没有安排班次。" in admin_client.get("/me").get_data(as_text=True)
        shift = make_shift(starts_at=this_week(6), capacity=1)
        page = admin_client.get("/me").get_data(as_text=True)
        assert "0/1" in page and "本周每个班次都已排满。" not in page
        place(shift, make_user())
        page = admin_client.get("/me").get_data(as_text=True)
        assert "本周每个班次都已排满。" in page and "还没有安排班次" not in page
