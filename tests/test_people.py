"""Admins keep their station's accounts; the street office keeps stations and their admins."""

import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import Building, Invitation, Kind, Role, Station, User
from scheduler.people.services import create_invited_account, update_account
from scheduler.rules import RuleViolation
from tests.conftest import TEST_PASSWORD, form_error, persist
from tests.forms import answer_yes, form_on, submit_form

NEW_ACCOUNT = {
    "username": "liuxf",
    "display_name": "刘秀芳",
    "phone": "139 1234 5678",
    "role": "volunteer",
    "kind": "resident",
}


OWN_ACCOUNT_REFUSED = "不能停用自己的账号，也不能修改自己的角色。"


def new_account(**overrides) -> dict:
    """What a secretary types into /people/new."""
    return {**NEW_ACCOUNT, **overrides}


def fresh_link(admin_client, user: User) -> str:
    """Press "New password link" on the person's edit page; the path of the link it shows."""
    slip = submit_form(admin_client, f"/people/{user.id}/edit", form=f"/people/{user.id}/invitation")
    return re.search(
        r'id="invitation-link">http://station\.test(/people/invite/[\w-]+)<', slip.get_data(as_text=True)
    ).group(1)


def test_admin_creates_an_active_account_in_their_station(app, admin_client):
    response = submit_form(admin_client, "/people/new", new_account())
    assert response.status_code == 200, "the invitation slip, shown once"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "liuxf"))
        assert user.station_id == admin_client.user.station_id
        assert user.phone == "13912345678"
        assert user.kind == Kind.RESIDENT_VOLUNTEER
        assert user.active, "a new account is active: the form has no box to leave unticked"
    listing = admin_client.get("/people/").get_data(as_text=True)
    assert "刘秀芳" in listing and "139****5678" in listing and "13912345678" not in listing


def test_create_forms_have_no_active_box_and_no_password(admin_client, superadmin_client, station):
    for form in (
        form_on(admin_client, "/people/new"),
        form_on(superadmin_client, f"/people/stations/{station.id}/admins/new"),
    ):
        assert "active" not in form.names and "password" not in form.names


def test_bad_account_input_is_refused_next_to_the_field_and_kept(app, admin_client, make_user):
    make_user(Role.VOLUNTEER, username="taken")
    response = submit_form(
        admin_client, "/people/new", new_account(username="Bad Name!", phone="12345", display_name="王\x07五")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "11 位手机号" in form_error(html, "phone")
    assert "小写字母" in form_error(html, "username")
    assert "控制字符" in form_error(html, "display_name")
    assert 'value="12345"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_username_taken_is_reported_on_the_username_field(admin_client, make_user):
    make_user(Role.VOLUNTEER, username="taken")
    response = submit_form(admin_client, "/people/new", new_account(username="taken"))
    assert "已被使用" in form_error(response.get_data(as_text=True), "username")


def test_building_of_another_station_is_not_offered_and_refused(app, admin_client, make_station):
    other = make_station()
    with app.app_context():
        foreign_building = db.session.scalar(sa.select(Building.id).where(Building.station_id == other.id))
    offered = [
        value for value, _selected in form_on(admin_client, "/people/new").named("building_id")[0].options
    ]
    assert str(foreign_building) not in offered
    # A forged post (no browser sends it) is refused too.
    response = admin_client.post("/people/new", data={**new_account(), "building_id": str(foreign_building)})
    assert response.status_code == 422


def test_buildings_are_offered_in_the_stations_order(app, admin_client, station):
    gatehouse = persist(app, Building(station_id=station.id, name="门卫室", sort_order=0))
    with app.app_context():
        numbered = db.session.scalars(
            sa.select(Building.id)
            .where(Building.station_id == station.id, Building.sort_order > 0)
            .order_by(Building.sort_order)
        ).all()
    offered = [value for value, _ in form_on(admin_client, "/people/new").named("building_id")[0].options]
    assert [value for value in offered if value] == [str(gatehouse.id), *map(str, numbered)]


def test_admin_cannot_open_an_account_of_another_station(admin_client, make_station, make_user):
    stranger = make_user(Role.VOLUNTEER, station=make_station())
    assert admin_client.get(f"/people/{stranger.id}/edit").status_code == 404
    assert stranger.display_name not in admin_client.get("/people/").get_data(as_text=True)


def test_switching_an_account_off_signs_the_person_out(app, admin_client, auth, make_user):
    volunteer = make_user(Role.VOLUNTEER)
    volunteer_client = auth.login(user=volunteer)
    asked = submit_form(admin_client, f"/people/{volunteer.id}/edit", {"active": False})
    assert volunteer_client.get("/me").status_code == 200, "nothing happens before the answer"
    response = answer_yes(admin_client, asked)
    assert response.status_code == 302
    assert volunteer_client.get("/me").status_code == 302
    login = app.test_client().post(
        "/auth/login", data={"username": volunteer.username, "password": TEST_PASSWORD}
    )
    assert login.status_code == 422


def test_admin_cannot_switch_off_their_own_account(admin_client):
    me = admin_client.user
    response = answer_yes(admin_client, submit_form(admin_client, f"/people/{me.id}/edit", {"active": False}))
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "role") == OWN_ACCOUNT_REFUSED


def test_admin_renames_themself_but_cannot_change_their_own_role(app, admin_client):
    me = admin_client.user
    assert submit_form(admin_client, f"/people/{me.id}/edit", {"display_name": "王书记"}).status_code == 302
    response = submit_form(admin_client, f"/people/{me.id}/edit", {"role": "volunteer"})
    assert form_error(response.get_data(as_text=True), "role") == OWN_ACCOUNT_REFUSED
    with app.app_context():
        stored = db.session.get(User, me.id)
        assert (stored.display_name, stored.role) == ("王书记", Role.ADMIN)


def test_an_account_cannot_take_another_accounts_username(app, admin_client, make_user):
    make_user(Role.VOLUNTEER, username="taken")
    volunteer = make_user(Role.VOLUNTEER)
    response = submit_form(admin_client, f"/people/{volunteer.id}/edit", {"username": "taken"})
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "username") == "这个用户名已被使用，请换一个。"
    with app.app_context():
        assert db.session.get(User, volunteer.id).username == volunteer.username


@pytest.mark.parametrize("typed, saved", [("139 8765 4321", "13987654321"), ("", "")])
def test_a_new_phone_is_saved_and_the_person_stays_signed_in(
    app, admin_client, auth, make_user, typed, saved
):
    volunteer = make_user(Role.VOLUNTEER)
    volunteer_client = auth.login(user=volunteer)
    assert submit_form(admin_client, f"/people/{volunteer.id}/edit", {"phone": typed}).status_code == 302
    assert volunteer_client.get("/me").status_code == 200
    with app.app_context():
        assert db.session.get(User, volunteer.id).phone == saved


def test_a_new_role_signs_the_person_out(admin_client, auth, make_user):
    volunteer = make_user(Role.VOLUNTEER)
    volunteer_client = auth.login(user=volunteer)
    url = f"/people/{volunteer.id}/edit"
    assert submit_form(admin_client, url, {"role": "coordinator"}).status_code == 302
    assert volunteer_client.get("/me").status_code == 302


def test_editing_an_account_keeps_its_open_link(app, admin_client, make_user):
    volunteer = make_user(Role.VOLUNTEER)
    link = fresh_link(admin_client, volunteer)
    url = f"/people/{volunteer.id}/edit"
    assert submit_form(admin_client, url, {"display_name": "新名字"}).status_code == 302
    assert app.test_client().get(link).status_code == 200


def test_account_list_runs_the_same_queries_for_many_rows(admin_client, make_user, count_queries):
    make_user(Role.VOLUNTEER)
    with count_queries() as few:
        admin_client.get("/people/")
    for _ in range(15):
        make_user(Role.VOLUNTEER)
    with count_queries() as many:
        admin_client.get("/people/")
    assert many.count == few.count


def test_superadmin_creates_a_station_with_buildings_and_an_admin(app, superadmin_client):
    response = submit_form(
        superadmin_client,
        "/people/stations/new",
        {"name": "幸福里驿站", "slug": "xingfuli", "community": "幸福社区", "building_count": "6"},
    )
    assert response.status_code == 302
    with app.app_context():
        station = db.session.scalar(sa.select(Station).where(Station.slug == "xingfuli"))
        assert [(b.name, b.sort_order) for b in station.buildings] == [(f"{n}号楼", n) for n in range(1, 7)]
        assert station.community == "幸福社区"
        assert station.active, "the station form shows 'open to the public' ticked"
        station_id = station.id
    response = submit_form(
        superadmin_client,
        f"/people/stations/{station_id}/admins/new",
        {"username": "xfl-admin", "display_name": "幸书记", "role": "admin"},
    )
    assert response.status_code == 200 and "/people/invite/" in response.get_data(as_text=True)
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "xfl-admin"))
        assert (admin.station_id, admin.role, admin.active) == (station_id, Role.ADMIN, True)
    assert "xfl-admin" in superadmin_client.get("/people/stations").get_data(as_text=True)


def test_station_short_name_must_be_unique(app, superadmin_client, station, make_station):
    response = submit_form(
        superadmin_client,
        "/people/stations/new",
        {"name": "重名", "slug": station.slug, "building_count": "2"},
    )
    assert response.status_code == 422
    assert "其他驿站已使用这个简称。" in form_error(response.get_data(as_text=True), "slug")
    other = make_station("幸福里驿站")
    response = submit_form(superadmin_client, f"/people/stations/{other.id}/edit", {"slug": station.slug})
    assert response.status_code == 422
    assert "其他驿站已使用这个简称。" in form_error(response.get_data(as_text=True), "slug")
    with app.app_context():
        assert db.session.get(Station, other.id).slug == other.slug


def test_admin_keeps_their_station_details(app, admin_client, station):
    changes = {"address": "物业办公楼一层", "opening_hours": "每天 9:00–17:00"}
    assert submit_form(admin_client, "/people/station", changes).status_code == 302
    assert "每天 9:00–17:00" in app.test_client().get("/").get_data(as_text=True)


def test_superadmin_closes_a_station_and_its_public_page_disappears(app, superadmin_client, make_station):
    other = make_station(name="甲驿站")
    closing = make_station(name="乙驿站")
    response = submit_form(superadmin_client, f"/people/stations/{closing.id}/edit", {"active": False})
    assert response.status_code == 302
    public = app.test_client()
    assert public.get(f"/s/{closing.slug}/").status_code == 404
    assert other.name in public.get("/").get_data(as_text=True)


def test_account_list_filters_by_text_and_kind_with_and_without_htmx(admin_client, make_user):
    make_user(Role.VOLUNTEER, display_name="孙桂兰", kind=Kind.BUILDING_HEAD)
    make_user(Role.VOLUNTEER, display_name="孙建国", kind=Kind.PROPERTY_STAFF)
    make_user(Role.VOLUNTEER, display_name="李文斌", kind=Kind.BUILDING_HEAD)
    page = admin_client.get("/people/?q=孙&kind=building_head").get_data(as_text=True)
    assert "孙桂兰" in page and "孙建国" not in page and "李文斌" not in page
    assert "<html" in page
    fragment = admin_client.get("/people/?q=孙", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="results"' in fragment
    assert "孙桂兰" in fragment and "孙建国" in fragment and "李文斌" not in fragment


@pytest.mark.parametrize(
    "typed", ["fang", "WangF", "8765"], ids=["username", "username in capitals", "phone"]
)
def test_account_list_finds_a_person_by_part_of_the_username_or_phone(admin_client, make_user, typed):
    make_user(Role.VOLUNTEER, display_name="王芳", username="wangfang", phone="13987654321")
    make_user(Role.VOLUNTEER, display_name="李文斌", username="liwenbin", phone="13800000001")
    page = admin_client.get("/people/", query_string={"q": typed}).get_data(as_text=True)
    assert "王芳" in page and "李文斌" not in page


def test_the_new_account_page_shows_the_link_once_with_a_qr_code_and_is_private(app, admin_client):
    response = submit_form(admin_client, "/people/new", new_account())
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    link = re.search(r'id="invitation-link">(http://station\.test/people/invite/[\w-]+)</a>', html).group(1)
    assert "<svg" in html and "liuxf" in html
    # The link is in no other page: the token is stored only hashed.
    assert link not in admin_client.get("/people/").get_data(as_text=True)
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "liuxf"))
    assert link not in admin_client.get(f"/people/{user_id}/edit").get_data(as_text=True)


def test_the_account_list_shows_open_invitations_with_their_expiry_and_withdraws_them(app, admin_client):
    slip = submit_form(admin_client, "/people/new", new_account()).get_data(as_text=True)
    link = re.search(r'id="invitation-link">http://station\.test(/people/invite/[\w-]+)<', slip).group(1)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "liuxf"))
        expires = db.session.scalar(sa.select(Invitation.expires_at).where(Invitation.user_id == user.id))
    listing = admin_client.get("/people/").get_data(as_text=True)
    local = expires.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M")
    assert f"邀请链接有效至 {local}" in listing
    asked = submit_form(admin_client, "/people/", form=f"/people/{user.id}/invitation/revoke")
    assert admin_client.get(link).status_code == 200, "the link works until the answer is yes"
    response = answer_yes(admin_client, asked)
    assert response.status_code == 302
    assert "邀请链接有效至" not in admin_client.get("/people/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Invitation.revoked_at)) is not None
    withdrawn = app.test_client().get(link)
    assert withdrawn.status_code == 410 and "此链接已被收回" in withdrawn.get_data(as_text=True)


def test_a_fresh_link_from_the_edit_page_replaces_the_old_one(app, admin_client, make_user):
    volunteer = make_user(Role.VOLUNTEER)
    links = [fresh_link(admin_client, volunteer) for _ in range(2)]
    assert links[0] != links[1]
    public = app.test_client()
    assert public.get(links[0]).status_code == 410
    assert "此链接已被收回" in public.get(links[0]).get_data(as_text=True)
    assert public.get(links[1]).status_code == 200
    with app.app_context():
        issuers = db.session.scalars(sa.select(Invitation.issued_by_id)).all()
    assert issuers == [admin_client.user.id] * 2, "each link names the secretary who gave it"


def test_a_switched_off_account_gets_no_link_and_its_open_link_stops_working(app, admin_client, make_user):
    volunteer = make_user(Role.VOLUNTEER)
    link = fresh_link(admin_client, volunteer)
    answer_yes(admin_client, submit_form(admin_client, f"/people/{volunteer.id}/edit", {"active": False}))
    assert app.test_client().get(link).status_code == 410
    assert (
        form_on(admin_client, f"/people/{volunteer.id}/edit", f"/people/{volunteer.id}/invitation")
        .buttons()[0]
        .disabled
    )
    refused = admin_client.post(f"/people/{volunteer.id}/invitation", follow_redirects=True)
    assert "请先启用此账号，再发放链接。" in refused.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Invitation).where(Invitation.revoked_at.is_(None))
            )
            == 0
        )


@pytest.mark.parametrize("action", ["invitation", "invitation/revoke"])
def test_another_stations_admin_cannot_issue_or_withdraw_links_for_your_people(
    app, auth, make_station, make_user, action
):
    mine = make_user(Role.VOLUNTEER)
    stranger_admin = auth.login(Role.ADMIN, station=make_station())
    assert stranger_admin.post(f"/people/{mine.id}/{action}").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_coordinators_and_volunteers_cannot_issue_links(coordinator_client, volunteer_client, make_user):
    person = make_user(Role.VOLUNTEER)
    assert coordinator_client.post(f"/people/{person.id}/invitation").status_code == 403
    assert volunteer_client.post(f"/people/{person.id}/invitation").status_code == 403


def test_the_street_office_gives_station_admins_links_but_not_volunteers(superadmin_client, make_user):
    admin = make_user(Role.ADMIN)
    volunteer = make_user(Role.VOLUNTEER)
    response = submit_form(superadmin_client, "/people/stations", form=f"/people/{admin.id}/invitation")
    assert response.status_code == 200 and "/people/invite/" in response.get_data(as_text=True)
    assert superadmin_client.post(f"/people/{volunteer.id}/invitation").status_code == 404


def test_account_list_filters_active_switched_off_or_all_and_marks_the_switched_off(admin_client, make_user):
    make_user(Role.VOLUNTEER, display_name="在岗甲")
    make_user(Role.VOLUNTEER, display_name="停用乙", active=False)

    def names(query: str) -> set[str]:
        html = admin_client.get(f"/people/?{query}", headers={"HX-Request": "true"}).get_data(as_text=True)
        return {name for name in ("在岗甲", "停用乙") if name in html}

    assert names("") == names("status=") == {"在岗甲", "停用乙"}
    assert names("status=active") == {"在岗甲"}
    assert names("status=inactive") == {"停用乙"}
    assert '<span class="badge off">已停用</span>' in admin_client.get("/people/").get_data(as_text=True)


def test_station_list_marks_and_filters_switched_off_administrators(superadmin_client, make_user):
    make_user(Role.ADMIN, display_name="在岗书记")
    make_user(Role.ADMIN, display_name="离任书记", active=False)
    html = superadmin_client.get("/people/stations").get_data(as_text=True)
    assert "在岗书记" in html and "离任书记" in html and 'class="badge off"' in html
    active_only = superadmin_client.get("/people/stations?status=active").get_data(as_text=True)
    assert "在岗书记" in active_only and "离任书记" not in active_only
    inactive_only = superadmin_client.get("/people/stations?status=inactive").get_data(as_text=True)
    assert "在岗书记" not in inactive_only and "离任书记" in inactive_only


def test_the_role_of_a_new_account_starts_at_volunteer(admin_client):
    role = form_on(admin_client, "/people/new").named("role")[0]
    assert [value for value, selected in role.options if selected] == ["volunteer"]


# The account rules of the service itself (the forms offer no way to break them) ---------


def first_building_id(app, station: Station) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(Building.id).where(Building.station_id == station.id).order_by(Building.sort_order)
        )


def invite(app, issued_by: User | None = None, **fields) -> User:
    """``create_invited_account`` as a route calls it; the new account, reloaded and detached."""
    account = {"username": "newcomer", "display_name": "新人", "role": Role.VOLUNTEER, **fields}
    with app.test_request_context():
        issuer = db.session.get(User, issued_by.id) if issued_by else None
        user, _link = create_invited_account(issued_by=issuer, **account)
        user_id = user.id
        db.session.remove()
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
    return user


def refused_account(app, **fields) -> tuple[str, str | None]:
    """The refusal's (message, field); no account is written."""
    with pytest.raises(RuleViolation) as refusal:
        invite(app, **fields)
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "newcomer")) is None
    return refusal.value.message, refusal.value.field


@pytest.mark.parametrize(
    "role, in_a_station, message",
    [
        (Role.SUPERADMIN, True, "街道管理员不属于任何驿站。"),
        (Role.ADMIN, False, "请为这个账号选择驿站。"),
    ],
)
def test_a_street_office_administrator_belongs_to_no_station_and_everyone_else_to_one(
    app, station, role, in_a_station, message
):
    station_id = station.id if in_a_station else None
    assert refused_account(app, station_id=station_id, role=role) == (message, "role")


def test_an_account_cannot_live_in_another_stations_building(app, station, make_station):
    elsewhere = first_building_id(app, make_station("幸福里驿站"))
    assert refused_account(app, station_id=station.id, building_id=elsewhere) == (
        "请选择本驿站的楼栋。",
        "building_id",
    )


def test_an_invited_account_keeps_its_building_has_no_phone_and_names_who_invited(app, station, make_user):
    secretary = make_user(Role.ADMIN)
    building_id = first_building_id(app, station)
    user = invite(app, issued_by=secretary, station_id=station.id, building_id=building_id)
    assert (user.station_id, user.building_id, user.phone, user.active) == (station.id, building_id, "", True)
    with app.app_context():
        assert db.session.scalar(sa.select(Invitation.issued_by_id).where(Invitation.user_id == user.id)) == (
            secretary.id
        )


def edit(app, user: User, editor: User, **changes) -> User:
    """``update_account`` as the edit page calls it, with ``changes`` over what the account holds."""
    with app.test_request_context():
        account = db.session.get(User, user.id)
        kept = {
            name: getattr(account, name) for name in ("username", "display_name", "role", "phone", "kind")
        }
        fields = {**kept, "building_id": account.building_id, "active": account.active, **changes}
        update_account(account, editor=db.session.get(User, editor.id), **fields)
        db.session.refresh(account)
        db.session.expunge(account)
    return account


def test_an_edit_saves_the_username_trimmed_and_in_lower_case(app, make_user):
    """The form lower-cases what is typed; the service does it too, for any other caller."""
    volunteer = make_user(Role.VOLUNTEER)
    assert edit(app, volunteer, make_user(Role.ADMIN), username=" Wang.Fang ").username == "wang.fang"


def test_an_edit_cannot_move_an_account_into_another_stations_building(app, make_user, make_station):
    """The form offers only the station's buildings; the service refuses others for any other caller."""
    volunteer = make_user(Role.VOLUNTEER)
    elsewhere = first_building_id(app, make_station("幸福里驿站"))
    with pytest.raises(RuleViolation) as refusal:
        edit(app, volunteer, make_user(Role.ADMIN), building_id=elsewhere)
    assert (refusal.value.message, refusal.value.field) == ("请选择本驿站的楼栋。", "building_id")
