"""Keeping the menu: admin and coordinator of the station create, edit, publish and reorder."""

import pytest
import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.menu.services import create_service
from scheduler.models import RequestState, Role, Service, ServiceCategory
from scheduler.rules import RuleViolation
from tests.conftest import form_error, persist
from tests.forms import form_on, submit_form
from tests.menu.conftest import count_rows, load

HTMX = {"HX-Request": "true"}


def service_form(category_id, **overrides):
    data = dict(
        category_id=str(category_id),
        title="送药上门",
        summary="代取常用药，送到家中。",
        description="",
        when_offered="工作日 9:00–17:00",
        where_offered="老人家中",
        contact_name="廖志强",
        contact_phone="",
        published="y",
        requestable="y",
    )
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def titles_in_order(app, category_id):
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Service.title)
                .where(Service.category_id == category_id)
                .order_by(Service.sort_order)
            )
        )


def category_names_in_order(app, station_id):
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(ServiceCategory.name)
                .where(ServiceCategory.station_id == station_id)
                .order_by(ServiceCategory.sort_order)
            )
        )


# Who may ---------------------------------------------------------------------------------


def staff_routes(service, category):
    return [
        ("GET", "/menu/"),
        ("GET", "/menu/services/new"),
        ("GET", f"/menu/services/{service.id}"),
        ("GET", f"/menu/services/{service.id}/edit"),
        ("POST", f"/menu/services/{service.id}/publish"),
        ("POST", f"/menu/services/{service.id}/unpublish"),
        ("POST", f"/menu/services/{service.id}/move"),
        ("POST", "/menu/categories"),
        ("POST", f"/menu/categories/{category.id}/rename"),
        ("POST", f"/menu/categories/{category.id}/move"),
        ("POST", f"/menu/categories/{category.id}/delete"),
    ]


@pytest.mark.parametrize(
    "role, allowed",
    [
        (None, False),
        (Role.VOLUNTEER, False),
        (Role.SUPERADMIN, False),
        (Role.COORDINATOR, True),
        (Role.ADMIN, True),
    ],
)
def test_menu_management_is_for_admin_and_coordinator(app, auth, make_category, make_service, role, allowed):
    category = make_category()
    service = make_service(category=category)
    client = auth.login(role) if role else app.test_client()
    for method, url in staff_routes(service, category):
        response = client.open(url, method=method)
        if role is None:
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
        elif not allowed:
            assert response.status_code == 403, url
        else:
            assert response.status_code in (200, 302, 409, 422), url


def test_anonymous_htmx_gets_401_with_a_login_redirect(client, make_service):
    service = make_service()
    response = client.post(f"/menu/services/{service.id}/publish", headers=HTMX)
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/auth/login"


def test_other_stations_records_are_404(app, coordinator_client, make_station, make_category, make_service):
    other = make_station(name="阳光驿站")
    category = make_category(station=other)
    service = make_service(category=category, station=other)
    for method, url in staff_routes(service, category):
        if url in ("/menu/", "/menu/services/new", "/menu/categories"):
            continue
        assert coordinator_client.open(url, method=method).status_code == 404, url
    assert load(app, Service, service.id).published is True


def test_board_shows_every_category_and_service_of_the_station(
    coordinator_client, make_category, make_service
):
    make_service("送药上门", make_category("关爱老人"))
    make_service("法律咨询", make_category("便民服务"), published=False)
    html = coordinator_client.get("/menu/").get_data(as_text=True)
    assert "关爱老人" in html and "送药上门" in html and "法律咨询" in html
    assert "未发布" in html


def test_board_runs_the_same_number_of_queries_however_long(
    coordinator_client, make_category, make_service, count_queries
):
    make_service(category=make_category())
    with count_queries() as few:
        coordinator_client.get("/menu/")
    for _ in range(5):
        category = make_category()
        for _ in range(4):
            make_service(category=category)
    with count_queries() as many:
        coordinator_client.get("/menu/")
    assert many.count == few.count


# Categories ------------------------------------------------------------------------------


def test_add_a_category(app, coordinator_client, station):
    response = coordinator_client.post("/menu/categories", data={"name": " 关爱老人 "})
    assert response.status_code == 302
    assert category_names_in_order(app, station.id) == ["关爱老人"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "请填写分类名称"),
        ("分" * 41, "请不要超过 40 个字"),
        ("关爱\x07老人", "不可见的控制字符"),
        ("已有分类", "已经有同名的分类了"),
    ],
)
def test_bad_category_names_are_refused_next_to_the_field(
    app, coordinator_client, make_category, name, message
):
    make_category("已有分类")
    response = coordinator_client.post("/menu/categories", data={"name": name}, headers=HTMX)
    assert response.status_code == 422
    assert message in form_error(response.get_data(as_text=True), "name")
    assert count_rows(app, ServiceCategory) == 1


def test_rename_a_category_and_refuse_a_duplicate(app, coordinator_client, make_category):
    care = make_category("关爱老人")
    make_category("便民服务")
    field = f"category-{care.id}-name"
    assert (
        coordinator_client.post(f"/menu/categories/{care.id}/rename", data={field: "敬老爱老"}).status_code
        == 302
    )
    assert load(app, ServiceCategory, care.id).name == "敬老爱老"
    response = coordinator_client.post(
        f"/menu/categories/{care.id}/rename", data={field: "便民服务"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "已经有同名的分类了" in form_error(html, field)
    assert 'value="便民服务"' in html, "the typed name is kept"
    assert load(app, ServiceCategory, care.id).name == "敬老爱老"


def test_a_category_may_share_its_name_with_another_stations(
    app, coordinator_client, make_station, make_category
):
    make_category("关爱老人", station=make_station(name="阳光驿站"))
    response = submit_form(coordinator_client, "/menu/", {"name": "关爱老人"}, form="/menu/categories")
    assert response.status_code == 302
    assert count_rows(app, ServiceCategory) == 2


def test_saving_a_category_under_its_own_name_is_no_duplicate(app, coordinator_client, make_category):
    care = make_category("关爱老人")
    response = submit_form(coordinator_client, "/menu/", form=f"/menu/categories/{care.id}/rename")
    assert response.status_code == 302
    assert load(app, ServiceCategory, care.id).name == "关爱老人"


def test_moving_the_second_category_up_makes_it_first_and_numbers_them_from_one(
    app, coordinator_client, station, make_category
):
    first = make_category("关爱老人", sort_order=5)
    second = make_category("便民服务", sort_order=9)
    submit_form(
        coordinator_client, "/menu/", form=f"/menu/categories/{second.id}/move", button="direction=up"
    )
    with app.app_context():
        rows = db.session.execute(
            sa.select(ServiceCategory.name, ServiceCategory.sort_order).order_by(ServiceCategory.sort_order)
        ).all()
    assert [tuple(row) for row in rows] == [("便民服务", 1), ("关爱老人", 2)]
    offered = form_on(coordinator_client, "/menu/services/new").named("category_id")[0].options
    assert [value for value, _chosen in offered if value] == [str(second.id), str(first.id)], "menu order"


def test_reorder_categories(app, coordinator_client, station, make_category):
    first, _, third = (make_category(name) for name in ("关爱老人", "便民服务", "文化活动"))
    coordinator_client.post(f"/menu/categories/{third.id}/move", data={"direction": "up"})
    assert category_names_in_order(app, station.id) == ["关爱老人", "文化活动", "便民服务"]
    response = coordinator_client.post(
        f"/menu/categories/{first.id}/move", data={"direction": "up"}, headers=HTMX
    )
    assert response.status_code == 200 and 'id="menu-board"' in response.get_data(as_text=True)
    assert category_names_in_order(app, station.id) == ["关爱老人", "文化活动", "便民服务"]


def test_only_an_empty_category_can_be_removed(app, coordinator_client, make_category, make_service):
    used = make_category("关爱老人")
    make_service(category=used)
    empty = make_category("空分类")
    response = coordinator_client.post(f"/menu/categories/{used.id}/delete", headers=HTMX)
    assert response.status_code == 409 and "请先把这个分类里的服务移走" in response.get_data(as_text=True)
    assert coordinator_client.post(f"/menu/categories/{empty.id}/delete").status_code == 302
    assert load(app, ServiceCategory, empty.id) is None and load(app, ServiceCategory, used.id) is not None


# Services --------------------------------------------------------------------------------


@pytest.mark.parametrize("orders_before, new_order", [((), 1), ((1, 2), 3)])
def test_a_new_service_goes_last_in_its_own_category(
    app, coordinator_client, make_category, make_service, orders_before, new_order
):
    care, everyday = make_category("关爱老人"), make_category("便民服务")
    make_service("水电小修", everyday, sort_order=7)
    for order in orders_before:
        make_service(f"服务{order}", care, sort_order=order)
    coordinator_client.post("/menu/services/new", data=service_form(care.id, title="新服务"))
    with app.app_context():
        assert db.session.scalar(sa.select(Service.sort_order).where(Service.title == "新服务")) == new_order
    assert titles_in_order(app, care.id)[-1] == "新服务"


def test_create_a_service(app, coordinator_client, station, make_category):
    category = make_category("关爱老人")
    response = coordinator_client.post("/menu/services/new", data=service_form(category.id))
    assert response.status_code == 302
    with app.app_context():
        service = db.session.scalar(sa.select(Service))
        assert (service.title, service.station_id, service.published, service.requestable) == (
            "送药上门",
            station.id,
            True,
            True,
        )
        assert service.contact_name == "廖志强" and service.public_contact_phone == ""


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "", "请填写服务名称"),
        ("title", "药" * 61, "请不要超过 60 个字"),
        ("summary", "简" * 201, "请不要超过 200 个字"),
        ("when_offered", "周三\x07上午", "不可见的控制字符"),
        ("contact_name", "王\x1b阿姨", "不可见的控制字符"),
        ("contact_phone", "12345", "11 位手机号"),
        ("category_id", "not-a-number", "请选择本驿站的一个分类"),
    ],
)
def test_bad_service_input_is_refused_next_to_the_field(
    app, coordinator_client, make_category, field, value, message
):
    category = make_category()
    data = service_form(category.id)
    data[field] = value
    response = coordinator_client.post("/menu/services/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in form_error(html, field)
    if field != "category_id":
        assert value in html, "the typed value is kept"
    assert count_rows(app, Service) == 0


def test_a_category_of_another_station_is_refused(app, coordinator_client, make_station, make_category):
    foreign = make_category(station=make_station(name="阳光驿站"))
    response = coordinator_client.post("/menu/services/new", data=service_form(foreign.id))
    assert response.status_code == 422
    assert "请选择本驿站的一个分类" in form_error(response.get_data(as_text=True), "category_id")
    assert count_rows(app, Service) == 0


@pytest.mark.parametrize("category", ["missing", "foreign"])
def test_the_service_rules_refuse_a_missing_or_foreign_category(
    app, station, make_station, make_category, make_user, category
):
    """The form offers only the station's categories; the service refuses others for any other caller."""
    category_id = make_category(station=make_station()).id if category == "foreign" else None
    fields = dict(service_form(category_id), category_id=category_id, contact_phone_public=False)
    with app.test_request_context(), pytest.raises(RuleViolation) as refusal:
        create_service(station.id, make_user(Role.COORDINATOR), **fields)
    assert (refusal.value.message, refusal.value.field) == ("请选择本驿站的一个分类。", "category_id")
    assert count_rows(app, Service) == 0


def test_showing_the_phone_needs_the_contacts_consent_and_a_number(app, coordinator_client, make_category):
    category = make_category()
    response = coordinator_client.post(
        "/menu/services/new", data=service_form(category.id, contact_phone_public="y")
    )
    assert response.status_code == 422
    assert "请填写联系人同意公开的电话号码" in form_error(response.get_data(as_text=True), "contact_phone")
    response = coordinator_client.post(
        "/menu/services/new",
        data=service_form(category.id, contact_phone="170 0000 0008", contact_phone_public="y"),
    )
    assert response.status_code == 302
    with app.app_context():
        service = db.session.scalar(sa.select(Service))
        assert service.public_contact_phone == "17000000008"
        assert service.contact_phone_consent_by_id == coordinator_client.user.id


@pytest.fixture
def consented_service(make_service, make_user):
    """A service whose contact 叶美玲 agreed, on record, that her phone is shown."""
    return make_service(
        contact_name="叶美玲",
        contact_phone="17000000008",
        contact_phone_consent_at=utcnow(),
        contact_phone_consent_by_id=make_user(Role.ADMIN).id,
    )


@pytest.mark.parametrize(
    "new_contact",
    [
        {"contact_name": "廖志强", "contact_phone": "17000000025"},
        {"contact_phone": "17000000025"},
        {"contact_name": "廖志强"},
    ],
    ids=["new-person", "new-number", "new-name"],
)
def test_consent_does_not_carry_over_to_another_contact(
    app, coordinator_client, consented_service, new_contact
):
    """Staff replace the contact and leave the box as the page shows it: no consent for the new one."""
    url = f"/menu/services/{consented_service.id}/edit"
    response = submit_form(coordinator_client, url, new_contact, follow_redirects=True)
    assert response.status_code == 200
    stored = load(app, Service, consented_service.id)
    assert stored.contact_phone_consent_at is None and stored.public_contact_phone == ""
    assert "flash-warning" in response.get_data(as_text=True)
    assert not form_on(coordinator_client, url).named("contact_phone_public")[0].checked


def test_new_contact_agrees_in_the_same_submit(app, coordinator_client, consented_service):
    """The box unticked and ticked again for the new person is their consent."""
    url = f"/menu/services/{consented_service.id}/edit"
    submit_form(coordinator_client, url, {"contact_phone": "17000000025", "contact_phone_public": False})
    submit_form(coordinator_client, url, {"contact_phone_public": True})
    stored = load(app, Service, consented_service.id)
    assert stored.public_contact_phone == "17000000025"
    assert stored.contact_phone_consent_by_id == coordinator_client.user.id


def test_unchanged_contact_keeps_the_consent_on_record(app, coordinator_client, consented_service):
    before = load(app, Service, consented_service.id).contact_phone_consent_at
    submit_form(coordinator_client, f"/menu/services/{consented_service.id}/edit", {"title": "代购"})
    stored = load(app, Service, consented_service.id)
    assert stored.title == "代购" and stored.public_contact_phone == "17000000008"
    assert stored.contact_phone_consent_at == before


def test_showing_the_phone_on_an_edit_needs_a_number(app, coordinator_client, make_service):
    service = make_service(contact_name="叶美玲")
    response = submit_form(
        coordinator_client, f"/menu/services/{service.id}/edit", {"contact_phone_public": True}
    )
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "contact_phone") == "请填写联系人同意公开的电话号码。"
    assert load(app, Service, service.id).contact_phone_consent_at is None


def test_a_ticked_box_for_another_contact_records_a_new_consent(app, consented_service, make_user):
    """The edit form sends the box unticked when the contact changes (ContactConsentField);
    the model does not carry the earlier consent over by itself, for any other caller."""
    recorder = make_user(Role.COORDINATOR)
    with app.app_context():
        service = db.session.get(Service, consented_service.id)
        service.set_contact("廖志强", "17000000008", True, recorded_by=recorder)
        assert service.contact_phone_consent_by_id == recorder.id


def test_unticking_withdraws_the_consent(app, coordinator_client, consented_service):
    url = f"/menu/services/{consented_service.id}/edit"
    submit_form(coordinator_client, url, {"contact_phone_public": False})
    assert load(app, Service, consented_service.id).public_contact_phone == ""


def test_edit_form_shows_the_recorded_consent_of_the_current_contact(
    coordinator_client, consented_service, make_service
):
    ticked = form_on(coordinator_client, f"/menu/services/{consented_service.id}/edit")
    assert ticked.named("contact_phone_public")[0].checked
    without = make_service(contact_name="叶美玲", contact_phone="17000000008")
    unticked = form_on(coordinator_client, f"/menu/services/{without.id}/edit")
    assert not unticked.named("contact_phone_public")[0].checked


def test_inline_edit_with_htmx(app, coordinator_client, make_service):
    service = make_service("送药上门")
    form = coordinator_client.get(f"/menu/services/{service.id}/edit", headers=HTMX).get_data(as_text=True)
    assert "<html" not in form and f'id="service-{service.id}"' in form and "hx-post" in form
    page = coordinator_client.get(f"/menu/services/{service.id}/edit").get_data(as_text=True)
    assert "<html" in page

    bad = coordinator_client.post(
        f"/menu/services/{service.id}/edit", data=service_form(service.category_id, title=""), headers=HTMX
    )
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    assert form_error(bad.get_data(as_text=True), "title")

    good = coordinator_client.post(
        f"/menu/services/{service.id}/edit",
        data=service_form(service.category_id, title="送药到家"),
        headers=HTMX,
    )
    html = good.get_data(as_text=True)
    assert good.status_code == 200
    assert html.lstrip().startswith(f'<div class="service-item" id="service-{service.id}"')
    assert "送药到家" in html and 'hx-swap-oob="true"' in html, "the flash message rides along"
    assert load(app, Service, service.id).title == "送药到家"


def test_moving_a_service_to_another_category_puts_it_last(
    app, coordinator_client, make_category, make_service
):
    care, everyday = make_category("关爱老人"), make_category("便民服务")
    moving = make_service("陪同就医", care, sort_order=9)
    make_service("水电小修", everyday, sort_order=1)
    coordinator_client.post(
        f"/menu/services/{moving.id}/edit", data=service_form(everyday.id, title="陪同就医")
    )
    assert titles_in_order(app, everyday.id) == ["水电小修", "陪同就医"]
    assert load(app, Service, moving.id).sort_order == 2, "numbered after the last of its new category"


def test_publish_and_unpublish(app, client, coordinator_client, make_service):
    service = make_service("送药上门", published=False)
    response = coordinator_client.post(f"/menu/services/{service.id}/publish", headers=HTMX)
    assert response.status_code == 200 and "已发布" in response.get_data(as_text=True)
    assert "送药上门" in client.get("/s/haiyuan-lidu/").get_data(as_text=True)
    response = coordinator_client.post(f"/menu/services/{service.id}/unpublish")
    assert response.status_code == 302 and response.headers["Location"] == "/menu/"
    assert "送药上门" not in client.get("/s/haiyuan-lidu/").get_data(as_text=True)


def test_reorder_services_within_a_category(app, coordinator_client, make_category, make_service):
    category = make_category()
    first, _, third = (make_service(title, category) for title in ("上门探访", "送药上门", "陪同就医"))
    coordinator_client.post(f"/menu/services/{first.id}/move", data={"direction": "down"})
    assert titles_in_order(app, category.id) == ["送药上门", "上门探访", "陪同就医"]
    response = coordinator_client.post(
        f"/menu/services/{third.id}/move", data={"direction": "down"}, headers=HTMX
    )
    assert response.status_code == 200
    assert titles_in_order(app, category.id) == ["送药上门", "上门探访", "陪同就医"]
    coordinator_client.post(f"/menu/services/{third.id}/move", data={"direction": "up"})
    assert titles_in_order(app, category.id) == ["送药上门", "陪同就医", "上门探访"]


def test_staff_service_page_shows_consent_and_ratings(coordinator_client, make_service, make_request):
    service = make_service("送药上门", contact_name="廖志强", contact_phone="17000000025")
    make_request(service, state=RequestState.DONE, rating=4)
    make_request(service, state=RequestState.DONE, rating=5)
    html = coordinator_client.get(f"/menu/services/{service.id}").get_data(as_text=True)
    assert "不公开：没有记录联系人的同意" in html
    assert "★ 4.5 (2)" in html


def test_a_new_category_is_numbered_after_the_last_of_its_own_station(
    app, coordinator_client, station, make_station, make_category
):
    make_category("关爱老人", sort_order=4)
    make_category("便民服务", sort_order=7)
    make_category("别站的分类", station=make_station(), sort_order=20)
    coordinator_client.post("/menu/categories", data={"name": "文化活动"})
    assert category_names_in_order(app, station.id) == ["关爱老人", "便民服务", "文化活动"]
    with app.app_context():
        added = db.session.scalar(sa.select(ServiceCategory).where(ServiceCategory.name == "文化活动"))
        assert added.sort_order == 8


def sharing_a_place(app, model, names, **fields):
    """Records named ``names`` in this order, the first two sharing place 1 (as two staff
    adding at once leave them), the third at place 2.

    The first is stored last (restored from a backup, say), so PostgreSQL reads it back
    after the others: the record with the lower id must still count as first among equals.
    """
    label = "title" if model is Service else "name"
    first, second, third = names
    rows = [(second, 1, 900_002), (third, 2, 900_003), (first, 1, 900_001)]
    records = [
        persist(app, model(id=key, sort_order=place, **{label: name}, **fields)) for name, place, key in rows
    ]
    return sorted(records, key=lambda record: record.id)


def test_moving_past_categories_that_share_a_place_keeps_the_first_added_first(
    app, coordinator_client, station
):
    names = ("关爱老人", "便民服务", "文化活动")
    *_, third = sharing_a_place(app, ServiceCategory, names, station_id=station.id)
    coordinator_client.post(f"/menu/categories/{third.id}/move", data={"direction": "up"})
    assert category_names_in_order(app, station.id) == ["关爱老人", "文化活动", "便民服务"]


def test_moving_past_services_that_share_a_place_keeps_the_first_added_first(
    app, coordinator_client, station, make_category
):
    category = make_category()
    names = ("上门探访", "送药上门", "陪同就医")
    fields = dict(station_id=station.id, category_id=category.id, summary="简介", published=True)
    *_, third = sharing_a_place(app, Service, names, **fields)
    coordinator_client.post(f"/menu/services/{third.id}/move", data={"direction": "up"})
    assert titles_in_order(app, category.id) == ["上门探访", "陪同就医", "送药上门"]
