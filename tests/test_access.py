"""Every route, every role: who gets in, who is sent to sign in, who is refused.

Each endpoint is either listed here as public or guarded by ``roles_required``,
whose roles the test reads from the view; a new route without either fails here.
"""

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from scheduler.database import utcnow
from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Building,
    Kind,
    Role,
    Service,
    ServiceCategory,
    ServiceRequest,
    Shift,
    ShiftKind,
    ShiftSeries,
    TaskKind,
    TaskState,
    User,
    new_reference,
)
from scheduler.people.invitations import issue_invitation
from scheduler.people.spreadsheets import AccountsImporter
from scheduler.shifts import check_in
from scheduler.shifts.weeks import local_today, week_start
from scheduler.tasks import planning
from scheduler.visits.services import BeneficiaryFilter
from scheduler.visits.spreadsheets import RegisterImporter
from tests.conftest import persist, uploaded_template
from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
from tests.forms import read_forms

PUBLIC_ENDPOINTS = {
    "static",
    "favicon",  # a static file at the address browsers ask for on their own
    "main.healthz",
    "main.set_language",
    "menu.index",
    "menu.station_menu",
    "menu.service_page",
    "menu.poster",
    "board.board",
    "menu.request_service",
    "menu.find_request",
    "menu.follow_up",
    "menu.rate",
    "timebank.rules",
    "auth.login",
    "auth.logout",
    "shifts.feed",  # guarded by its secret token
    "people.invitation",  # guarded by its one-time token
}


def example_url(rule, records: dict | None = None) -> str:
    """Fill a rule's arguments from ``records`` ("endpoint:argument", else argument name → value),
    else with plausible values (ids that may not exist: a 404 is fine for the tests of who is refused)."""
    values = {}
    records = records or {}
    for argument in rule.arguments:
        values[argument] = 1 if isinstance(rule._converters[argument], IntegerConverter) else "x"
        for key in (argument, f"{rule.endpoint}:{argument}"):
            if key in records:
                values[argument] = records[key]
    return re.sub(r"<[^>]+>", lambda m: str(values[m.group(0)[1:-1].split(":")[-1]]), rule.rule)


def guarded_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        yield rule, getattr(view, "allowed_roles", None)


def method_of(rule) -> str:
    return "GET" if "GET" in rule.methods else "POST"


def test_every_route_is_public_or_guarded_by_roles(app):
    unguarded = [rule.endpoint for rule, roles in guarded_rules(app) if roles is None]
    assert unguarded == [], "add roles_required or list the endpoint as public"


def test_anonymous_visitor_is_sent_to_sign_in_everywhere_guarded(app, client):
    for rule, _roles in guarded_rules(app):
        response = client.open(example_url(rule), method=method_of(rule))
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/auth/login"), rule.rule


def test_anonymous_htmx_request_gets_401_with_a_redirect_to_sign_in(app, client):
    for rule, _roles in guarded_rules(app):
        response = client.open(example_url(rule), method=method_of(rule), headers={"HX-Request": "true"})
        assert response.status_code == 401, rule.rule
        assert response.headers["HX-Redirect"] == "/auth/login"


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_where_it_does_not_belong(app, auth, role):
    client = auth.login(role)
    for rule, roles in guarded_rules(app):
        if role in roles:
            continue
        response = client.open(example_url(rule), method=method_of(rule))
        assert response.status_code == 403, f"{role} reached {rule.rule}"
        assert "无权访问" in response.get_data(as_text=True)


@pytest.fixture
def records(app, station, make_user, make_task, station_admin):  # noqa: F811 (fixtures)
    """``records(volunteer)``: one record of every kind a page opens, in ``station``, by route argument.

    ``holder`` holds the shift place and the task that "my shift" and "my task" pages open.
    """

    def build(holder: User) -> dict:
        shift_start = utcnow() + timedelta(days=2)
        with app.app_context():
            building_id = db.session.scalar(sa.select(Building.id).where(Building.station_id == station.id))
        category = persist(app, ServiceCategory(station_id=station.id, name="关爱老人"))
        service = persist(
            app,
            Service(
                station_id=station.id,
                category_id=category.id,
                title="送药上门",
                summary="代取常用药",
                published=True,
                requestable=True,
            ),
        )
        service_request = persist(
            app,
            ServiceRequest(
                station_id=station.id,
                service_id=service.id,
                reference=new_reference(),
                resident_name="王秀英",
                building_id=building_id,
                unit_room="1单元101",
                phone="13812340000",
            ),
        )
        series = persist(
            app,
            ShiftSeries(
                station_id=station.id,
                title="驿站值班",
                weekdays="1",
                start_time=time(9),
                end_time=time(11),
                first_day=shift_start.date(),
                last_day=shift_start.date(),
            ),
        )
        shift = persist(
            app,
            Shift(
                station_id=station.id,
                series_id=series.id,
                title="驿站值班",
                location="驿站",
                kind=ShiftKind.DUTY,
                capacity=2,
                starts_at=shift_start,
                ends_at=shift_start + timedelta(hours=2),
            ),
        )
        assignment = persist(
            app,
            Assignment(
                shift_id=shift.id, station_id=station.id, user_id=holder.id, state=AssignmentState.ASSIGNED
            ),
        )
        under_way = persist(
            app,
            Shift(
                station_id=station.id,
                title="今天值班",
                kind=ShiftKind.DUTY,
                capacity=1,
                starts_at=utcnow() - timedelta(minutes=10),
                ends_at=utcnow() + timedelta(hours=2),
            ),
        )
        persist(
            app,
            Assignment(
                shift_id=under_way.id,
                station_id=station.id,
                user_id=holder.id,
                state=AssignmentState.CONFIRMED,
            ),
        )
        with app.test_request_context():
            check_in_token = check_in.printed_code(under_way)
        task = make_task(TaskState.ASSIGNED, holder)
        with app.test_request_context():
            batch = planning.check_all(
                station_id=station.id,
                actor=db.session.get(User, station_admin.id),
                title="普查",
                selection=BeneficiaryFilter(),
                kind=TaskKind.OTHER,  # residents with an open visit already are skipped by a check-all
                starts_at=task.starts_at,
                ends_at=task.ends_at,
            )
            batch_id = batch.id
            today = local_today()
        return dict(
            service_id=service.id,
            category_id=category.id,
            request_id=service_request.id,
            token=service_request.follow_token,
            shift_id=shift.id,
            series_id=series.id,
            assignment_id=assignment.id,
            task_id=task.id,
            beneficiary_id=task.beneficiary_id,
            batch_id=batch_id,
            user_id=make_user(Role.VOLUNTEER).id,
            station_id=station.id,
            slug=station.slug,
            week=week_start(today).isoformat(),
            month=today.strftime("%Y-%m"),
            **{
                "people.invitation:token": invitation_token(make_user(Role.VOLUNTEER), station_admin),
                "shifts.scan:token": check_in_token,
                "people.import_preview:upload_id": uploaded_template(app, AccountsImporter(), holder),
                "visits.import_preview:upload_id": uploaded_template(app, RegisterImporter(), holder),
            },
        )

    def invitation_token(person: User, issued_by: User) -> str:
        with app.app_context():
            link = issue_invitation(db.session.get(User, person.id), db.session.get(User, issued_by.id))
            db.session.commit()
        return link.rsplit("/", 1)[1]

    return build


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_every_page_it_may_use(app, auth, make_user, records, role):
    """Every GET page of the role, opened on a real record of its station, answers 200."""
    # Building heads are the volunteers who may do most (file requests for residents).
    client = auth.login(role, kind=Kind.BUILDING_HEAD) if role == Role.VOLUNTEER else auth.login(role)
    # Their own place on a shift and their own task: staff may hold them too.
    ids = records(make_user(Role.VOLUNTEER) if role == Role.SUPERADMIN else client.user)
    opened = []
    for rule, roles in guarded_rules(app):
        if role not in roles or method_of(rule) != "GET":
            continue
        url = example_url(rule, ids)
        response = client.get(url)
        assert response.status_code == 200, f"{role} {url}: {response.status_code}"
        assert_every_post_form_carries_a_token(url, response)
        opened.append(url)
    assert opened


# The language switch only sets the visitor's own language cookie and is exempt from CSRF
# (scheduler/main/routes.py), so that cached public pages carry no one's token.
CSRF_EXEMPT_ACTIONS = {"/language"}


def assert_every_post_form_carries_a_token(url: str, response) -> None:
    """Without its hidden csrf_token a form works with htmx (the page's header) but not without JS."""
    if response.mimetype != "text/html":
        return
    for form in read_forms(response.get_data(as_text=True)):
        if form.method == "post" and form.action not in CSRF_EXEMPT_ACTIONS:
            # A form with a prefix names its token "<prefix>-csrf_token".
            tokens = [control.value for control in form.controls if control.name.endswith("csrf_token")]
            assert tokens and tokens[0], f"{url}: the form posting to {form.action!r} has no csrf_token"


def test_every_public_form_carries_a_token(app, client, make_user, records):
    ids = records(make_user(Role.VOLUNTEER))
    for rule in app.url_map.iter_rules():
        if (
            rule.endpoint in PUBLIC_ENDPOINTS
            and "GET" in rule.methods
            and rule.endpoint not in ("static", "favicon")
        ):
            url = example_url(rule, ids)
            response = client.get(url)
            if rule.endpoint != "shifts.feed":
                assert response.status_code == 200, url
            assert_every_post_form_carries_a_token(url, response)


@pytest.mark.parametrize(
    "role, visible, hidden",
    [
        (Role.VOLUNTEER, ["/me"], ["/people/", "/people/stations"]),
        (Role.COORDINATOR, ["/me"], ["/people/", "/people/stations"]),
        (Role.ADMIN, ["/me", "/people/"], ["/people/stations"]),
        (Role.SUPERADMIN, ["/people/stations"], ["/people/", "/me"]),
    ],
)
def test_navigation_shows_each_role_only_what_it_may_use(auth, role, visible, hidden):
    client = auth.login(role)
    home = "/people/stations" if role == Role.SUPERADMIN else "/me"
    nav = re.search(r'<nav class="nav".*?</nav>', client.get(home).get_data(as_text=True), re.S).group(0)
    for path in visible:
        assert f'href="{path}"' in nav
    for path in hidden:
        assert f'href="{path}"' not in nav


def test_an_account_without_a_station_finds_no_station_pages(auth):
    """Station data is read for the signed-in person's station; with none there is nothing (404)."""
    stationless = auth.login(Role.ADMIN, station=None)
    assert stationless.get("/people/").status_code == 404
