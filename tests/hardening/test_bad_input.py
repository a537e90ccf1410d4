"""Bad input is answered 4xx (or a message next to the field), never 500.

Each case here answered 500 before: NUL bytes and ids past 2**31 on PostgreSQL, ids past
2**63 and page numbers past what an offset holds on both databases, a blank "what they
are" on the account forms, and an attendance form posted without fields.
"""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from scheduler.demo.names import demo_name
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Building,
    RequestState,
    ServiceRequest,
    Shift,
    Task,
    TaskBatch,
    TaskState,
    User,
)
from tests.compound import SLUG
from tests.conftest import form_error
from tests.hardening.test_crawl import LISTS, sign_in, with_page

BEYOND_POSTGRES_INTEGER = "2147483648"  # 2**31: past every id column of PostgreSQL
BEYOND_SQLITE_INTEGER = "100000000000000000000"  # past 2**63: the SQLite driver overflows
BEYOND_OFFSETS = "9223372036854775808"  # 2**63, as a page number


def first_id(app, statement) -> int:
    with app.app_context():
        return db.session.scalar(statement.limit(1))


# NUL --------------------------------------------------------------------------------------


def test_a_nul_byte_anywhere_is_refused_with_400(app, sign_in_as):
    anonymous, admin = sign_in_as("anonymous"), sign_in_as("admin")
    assert anonymous.get("/s/%00/").status_code == 400
    assert anonymous.get("/shifts/feed/%00.ics").status_code == 400
    assert anonymous.get(f"/s/{SLUG}/", query_string={"q": "a\x00b"}).status_code == 400
    assert anonymous.post("/auth/login", data={"username": "a\x00b", "password": "x"}).status_code == 400
    assert admin.get("/people/", query_string={"q": "a\x00b"}).status_code == 400
    assert admin.post("/people/new", data={"display_name": "王\x00芳"}).status_code == 400
    assert admin.post("/people/new", data={"name\x00": "x"}).status_code == 400
    # Other control characters are a message next to the field, where a person can fix them.
    response = admin.post(
        "/people/new", data={"username": "wangfang", "display_name": "王\x07芳", "role": "volunteer"}
    )
    assert response.status_code == 422
    assert "控制字符" in form_error(response.get_data(as_text=True), "display_name")


# Ids in paths --------------------------------------------------------------------------------


def id_rules(app):
    for rule in app.url_map.iter_rules():
        if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values()):
            yield rule


@pytest.mark.parametrize("number", [BEYOND_POSTGRES_INTEGER, BEYOND_SQLITE_INTEGER, "0"])
def test_ids_no_record_can_have_are_not_found_on_any_route(app, sign_in_as, number):
    admin = sign_in_as("admin")
    values = {"slug": SLUG, "week": "2026-03-02", "month": "2026-03", "token": "x" * 32}
    for rule in id_rules(app):
        url = rule.build({name: values.get(name, number) for name in rule.arguments}, append_unknown=False)[1]
        method = "GET" if "GET" in rule.methods else "POST"
        assert admin.open(url, method=method).status_code == 404, f"{method} {url}"


def test_every_id_in_a_path_goes_through_the_bounded_converter(app):
    for rule in id_rules(app):
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                assert converter.max == 2**31 - 1 and converter.min == 1, f"{rule.rule}: <id:{name}>"


# Numbers in query strings ------------------------------------------------------------------


QUERY_STRINGS = [
    "/requests?service={n}",
    "/requests?building={n}",
    "/requests?state=all&service={n}&building={n}",
    "/beneficiaries/access-log?user_id={n}",
    "/beneficiaries/access-log?beneficiary_id={n}",
    "/beneficiaries/?building_id={n}",
    "/tasks/new?beneficiary={n}",
    "/menu/services/new?category={n}",
    "/requests/new?service={n}",
    f"/s/{SLUG}/?category={{n}}",
    *[with_page(url, "{n}") for url in LISTS],
]


@pytest.mark.parametrize("number", [BEYOND_POSTGRES_INTEGER, BEYOND_OFFSETS, "-1"])
def test_numbers_no_record_can_have_in_a_query_string_are_ignored(compound_real, number):
    admin = sign_in(compound_real, "admin")
    for url in QUERY_STRINGS:
        response = admin.get(url.format(n=number))
        assert response.status_code == 200, url.format(n=number)


def test_a_page_past_the_last_shows_the_last(sign_in_as):
    html = sign_in_as("admin").get("/beneficiaries/?page=99999").get_data(as_text=True)
    assert demo_name(1000) in html, "the first resident, on the only page"


# Numbers in forms ------------------------------------------------------------------------


def test_a_task_given_to_an_id_no_one_can_have_is_refused(app, sign_in_as):
    task_id = first_id(app, sa.select(Task.id).where(Task.state == TaskState.OPEN))
    response = sign_in_as("admin").post(
        f"/tasks/{task_id}/assign", data={"assignee_id": BEYOND_POSTGRES_INTEGER}
    )
    assert response.status_code == 400


def test_a_shift_place_for_an_id_no_one_can_have_is_refused(app, sign_in_as):
    now = datetime.now(UTC)
    shift_id = first_id(app, sa.select(Shift.id).where(Shift.starts_at > now).order_by(Shift.starts_at))
    admin = sign_in_as("admin")
    response = admin.post(f"/shifts/{shift_id}/assign", data={"user_id": BEYOND_POSTGRES_INTEGER})
    assert response.status_code == 302
    assert "请选择一个人" in admin.get(response.headers["Location"]).get_data(as_text=True)
    htmx = admin.post(
        f"/shifts/{shift_id}/assign",
        data={"user_id": BEYOND_POSTGRES_INTEGER},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 409


def test_a_request_made_a_task_for_an_id_no_one_can_have_is_refused_next_to_the_field(app, sign_in_as):
    request_id = first_id(app, sa.select(ServiceRequest.id).where(ServiceRequest.state == RequestState.NEW))
    admin = sign_in_as("admin")
    form = {
        "kind": "medicine",
        "starts_at": "2030-05-06T09:00",
        "ends_at": "2030-05-06T11:00",
        "unit": "1单元",
        "room": "101",
        "assignee_id": BEYOND_POSTGRES_INTEGER,
    }
    response = admin.post(f"/requests/{request_id}/task", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "assignee_id") == "请选择本驿站在岗的人员。"
    with app.app_context():
        assert db.session.get(ServiceRequest, request_id).state == RequestState.NEW


def test_a_check_all_of_a_building_no_one_can_have_is_refused_not_read_as_all(app, sign_in_as):
    with app.app_context():
        tasks_before = db.session.scalar(sa.select(sa.func.count(Task.id)))
    response = sign_in_as("admin").post(
        "/tasks/check-all/new",
        data={
            "title": "寒潮前走访",
            "building_id": BEYOND_POSTGRES_INTEGER,
            "kind": "visit",
            "starts_at": "2030-01-06T09:00",
            "ends_at": "2030-01-06T17:00",
        },
    )
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "building_id")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Task.id))) == tasks_before
        assert db.session.scalar(sa.select(sa.func.count(TaskBatch.id))) == 1


@pytest.mark.parametrize("url", ["/people/new", "/beneficiaries/new"])
def test_a_building_no_one_can_have_is_refused_next_to_the_field(sign_in_as, url):
    response = sign_in_as("admin").post(url, data={"building_id": BEYOND_POSTGRES_INTEGER})
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), "building_id")


# Enum selects ------------------------------------------------------------------------------


def account_form(app, **changes) -> dict:
    """What the new-account page sends (hostile values are the test's ``changes``)."""
    with app.app_context():
        building_id = db.session.scalar(sa.select(Building.id).order_by(Building.id).limit(1))
    return {
        "username": "wangfang",
        "display_name": "王芳",
        "role": "volunteer",
        "kind": "resident",
        "building_id": str(building_id),
        **changes,
    }


def test_a_blank_kind_on_a_new_account_means_not_set(app, sign_in_as):
    response = sign_in_as("admin").post("/people/new", data=account_form(app, kind="   "))
    assert response.status_code == 200, "the new account's invitation slip"
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "wangfang")).kind is None


@pytest.mark.parametrize("field, value", [("kind", "chef"), ("role", "superadmin"), ("role", "   ")])
def test_a_kind_or_role_not_offered_is_refused_next_to_the_field(app, sign_in_as, field, value):
    response = sign_in_as("admin").post("/people/new", data=account_form(app, **{field: value}))
    assert response.status_code == 422
    assert form_error(response.get_data(as_text=True), field)


def test_a_blank_kind_when_editing_an_account_means_not_set(app, sign_in_as):
    user_id = first_id(app, sa.select(User.id).where(User.username == "party01"))
    form = account_form(app, username="party01", kind="   ", active="y")  # the edit page adds the box
    response = sign_in_as("admin").post(f"/people/{user_id}/edit", data=form)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).kind is None


@pytest.mark.parametrize("kind", ["   ", "chef", "building_head"])
def test_the_account_list_takes_any_kind_filter(app, sign_in_as, kind):
    response = sign_in_as("admin").get("/people/", query_string={"kind": kind})
    assert response.status_code == 200
    if kind == "building_head":
        assert response.get_data(as_text=True).count("楼栋长") >= 3


# Attendance without fields -------------------------------------------------------------


def test_attendance_posted_with_no_one_ticked_records_no_shows(app, sign_in_as):
    """A browser sends no field at all when every box is unticked; that is "nobody came"."""
    now = datetime.now(UTC)
    shift_id = first_id(
        app,
        sa.select(Shift.id)
        .join(Assignment)
        .where(Shift.ends_at < now - timedelta(hours=1), Shift.cancelled_at.is_(None))
        .where(Assignment.state == AssignmentState.ATTENDED)
        .order_by(Shift.starts_at.desc()),
    )
    # The compound's past shifts have attendance recorded, so this is a correction: the page
    # then asks for a reason, and only the unticked boxes are missing from the post.
    response = sign_in_as("admin").post(f"/shifts/{shift_id}/attendance", data={"reason": "nobody came"})
    assert response.status_code == 302
    with app.app_context():
        states = db.session.scalars(
            sa.select(Assignment.state).where(
                Assignment.shift_id == shift_id, Assignment.state != AssignmentState.DECLINED
            )
        ).all()
    assert states and set(states) == {AssignmentState.NO_SHOW}
