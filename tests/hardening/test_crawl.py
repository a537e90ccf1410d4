"""Every page of the app, as every role, on a real compound's data: no 5xx, and no N+1.

The routes come from ``app.url_map``, so a new page is crawled without anyone listing
it; its path parameters are filled with real records of the compound (the volunteer's
own task and assignment, a beneficiary, a request's follow-up token, this week, this
month…), so each page is reached for real rather than answering 404. Each page is asked
for whole and as an htmx fragment. The lists that page are read on page 1, 2 and the
last, and their "next" links are followed to the end.

A page's number of SQL statements must not depend on how much data there is: the same
page costs the same on page 1 and page 2, and on the small compound and the real one.
"""

import re
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa

from scheduler.extensions import db
from scheduler.models import (
    Assignment,
    AssignmentState,
    Beneficiary,
    CalendarFeed,
    Role,
    Service,
    ServiceRequest,
    Shift,
    ShiftSeries,
    Task,
    TaskBatch,
    TaskState,
    User,
)
from scheduler.people.invitations import issue_invitation
from scheduler.people.spreadsheets import AccountsImporter
from scheduler.shifts import check_in
from scheduler.visits.spreadsheets import RegisterImporter
from tests.conftest import TEST_PASSWORD, QueryCounter, uploaded_template
from tests.test_access import PUBLIC_ENDPOINTS

ROLES = ["anonymous", "volunteer", "coordinator", "admin", "superadmin"]
HTMX = {"HX-Request": "true"}
# The lists that page, with the query strings that make them long.
LISTS = [
    "/beneficiaries/",
    "/beneficiaries/access-log",
    "/tasks/all",
    "/tasks/all?state=done",
    "/requests?state=all",
    "/requests",
]
# A signed-in person asking for the sign-in page is sent home.
REDIRECTS_WHEN_SIGNED_IN = {"auth.login"}
# A check-in code of a shift the crawler holds no place on: refused (409) with its message.
REFUSED_WHEN_OPENED = {"shifts.scan"}


@contextmanager
def counting(app):
    with app.app_context():
        engine = db.engine
    counter = QueryCounter()
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)


def sign_in(site, role: str):
    client = site.app.test_client()
    if role != "anonymous":
        username = site.compound.usernames[role]
        response = client.post("/auth/login", data={"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 302, f"{username} could not sign in"
    return client


def first(statement):
    value = db.session.scalar(statement.limit(1))
    assert value is not None, f"the compound has nothing for {statement}"
    return value


def invitation_token(site) -> str:
    """A working set-password link of a person nobody signs in as here (only its hash is stored)."""
    invited = first(
        sa.select(User).where(
            User.active, User.role == Role.VOLUNTEER, User.username.not_in(site.compound.usernames.values())
        )
    )
    link = issue_invitation(invited, None)
    db.session.commit()
    return link.rsplit("/", 1)[1]


def check_in_code(site) -> str:
    """The printed check-in code of a shift a day away: outside its window, so refused."""
    with site.app.test_request_context():
        later = datetime.now(UTC) + timedelta(days=1)
        shift = db.session.scalar(sa.select(Shift).where(Shift.starts_at > later).order_by(Shift.id))
        return check_in.printed_code(shift)


def path_values(site, role: str) -> dict:
    """Real values for every path parameter of the app, as this role would follow them."""
    now = datetime.now(UTC)
    username = site.compound.usernames.get(role, site.compound.usernames["volunteer"])
    with site.app.app_context():
        me = db.session.scalar(sa.select(User).where(User.username == username))
        volunteer = db.session.scalar(
            sa.select(User).where(User.username == site.compound.usernames["volunteer"])
        )
        own_assignment = db.session.scalar(
            sa.select(Assignment.id)
            .join(Shift)
            .where(
                Assignment.user_id == me.id,
                Assignment.state.in_((AssignmentState.ASSIGNED, AssignmentState.CONFIRMED)),
                Shift.starts_at > now,
            )
            .order_by(Shift.starts_at)
            .limit(1)
        )
        feed_owner = me if role in ("volunteer", "admin", "coordinator") else volunteer
        values = {
            "slug": site.compound.slug,
            "station_id": site.compound.station_id,
            "service_id": first(
                sa.select(Service.id).where(Service.published, Service.requestable).order_by(Service.id)
            ),
            "user_id": first(sa.select(User.id).where(User.username == site.compound.usernames["volunteer"])),
            "beneficiary_id": first(
                sa.select(Beneficiary.id).where(Beneficiary.active).order_by(Beneficiary.id)
            ),
            "batch_id": first(sa.select(TaskBatch.id).order_by(TaskBatch.id)),
            # The volunteer's own task, which staff may open too.
            "task_id": first(
                sa.select(Task.id)
                .where(Task.assignee_id == volunteer.id, Task.state == TaskState.ACCEPTED)
                .order_by(Task.id)
            ),
            "shift_id": first(
                sa.select(Shift.id)
                .where(Shift.starts_at > now, Shift.cancelled_at.is_(None))
                .order_by(Shift.starts_at)
            ),
            "series_id": first(sa.select(ShiftSeries.id).order_by(ShiftSeries.id)),
            "away_id": 1,  # only a POST route uses it
            "assignment_id": own_assignment or 1,
            "request_id": first(sa.select(ServiceRequest.id).order_by(ServiceRequest.id)),
            "follow_token": first(sa.select(ServiceRequest.follow_token).order_by(ServiceRequest.id)),
            "feed_token": first(sa.select(CalendarFeed.token).where(CalendarFeed.user_id == feed_owner.id)),
            "invite_token": invitation_token(site),
            "check_in_code": check_in_code(site),
            "accounts_upload": uploaded_template(site.app, AccountsImporter(), me),
            "residents_upload": uploaded_template(site.app, RegisterImporter(), me),
            "week": now.date().isoformat(),
            "month": now.strftime("%Y-%m"),
            "filename": "css/app.css",
        }
    return values


def page_url(rule, values: dict) -> str:
    names = {
        "menu.follow_up": {"token": "follow_token"},
        "shifts.feed": {"token": "feed_token"},
        "shifts.scan": {"token": "check_in_code"},
        "people.invitation": {"token": "invite_token"},
        "people.import_preview": {"upload_id": "accounts_upload"},
        "visits.import_preview": {"upload_id": "residents_upload"},
    }
    aliases = names.get(rule.endpoint, {})
    return re.sub(
        r"<(?:[^:>]+:)?([^>]+)>", lambda match: str(values[aliases.get(match[1], match[1])]), rule.rule
    )


def get_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods), key=lambda rule: rule.rule
    )


def may_open(app, rule, role: str) -> bool:
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return True
    if role == "anonymous":
        return False
    return Role(role) in app.view_functions[rule.endpoint].allowed_roles


def expected_status(app, rule, role: str, htmx: bool) -> int:
    if may_open(app, rule, role):
        if rule.endpoint in REFUSED_WHEN_OPENED:
            return 409
        return 302 if role != "anonymous" and rule.endpoint in REDIRECTS_WHEN_SIGNED_IN else 200
    if role == "anonymous":
        return 401 if htmx else 302
    return 403


@dataclass
class Answer:
    status: int
    statements: list[str]

    @property
    def queries(self) -> int:
        return len(self.statements)

    def most_repeated(self) -> tuple[str, int]:
        """The statement sent most often, and how often: N+1 sends one statement per row."""
        return Counter(self.statements).most_common(1)[0] if self.statements else ("", 0)


def fetch(site, client, url: str, htmx: bool = False) -> Answer:
    with counting(site.app) as counter:
        response = client.get(url, headers=HTMX if htmx else {})
        response.get_data()
    response.close()  # static files are streamed from an open file
    return Answer(response.status_code, counter.statements), response


def pages_linked(html: str, path: str) -> set[str]:
    """The other pages of the same list that this page links to (previous, next)."""
    links = set()
    for href in re.findall(r'href="([^"]+)"', html):
        target = urlsplit(unescape(href))
        if target.path == path and "page" in dict(parse_qsl(target.query)):
            links.add(unescape(href))
    return links


def with_page(url: str, page: int | str) -> str:
    return f"{url}{'&' if '?' in url else '?'}page={page}"


# A statement sent more often than this in one request is a query per row (N+1).
MAX_REPEATS = 3


def crawl(site, role: str, htmx_too: bool = True) -> dict[str, Answer]:
    """Every GET route, whole and as a fragment: what each answered, and with which statements."""
    client = sign_in(site, role)
    values = path_values(site, role)
    failures, answers = [], {}
    for rule in get_rules(site.app):
        url = page_url(rule, values)
        for htmx in (False, True) if htmx_too else (False,):
            answer, _ = fetch(site, client, url, htmx)
            wanted = expected_status(site.app, rule, role, htmx)
            page = f"{url}{' (htmx)' if htmx else ''}"
            answers[page] = answer
            statement, repeats = answer.most_repeated()
            if answer.status != wanted:
                failures.append(f"{role} GET {page}: {answer.status}, not {wanted}")
            elif repeats > MAX_REPEATS:
                failures.append(f"{role} GET {page}: {repeats} × {' '.join(statement.split())[:160]}")
    assert not failures, "\n".join(failures)
    return answers


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_every_role_without_a_query_per_row(compound_real, role):
    """200 where the role belongs, 302/401/403 elsewhere, never 5xx; no statement once per row.

    The coordinator's pages are the admin's (less account keeping): whole pages suffice.
    """
    started = time.perf_counter()
    answers = crawl(compound_real, role, htmx_too=role != "coordinator")
    reached = sum(answer.status == 200 for answer in answers.values())
    if role == "admin":
        assert reached > 80, "the admin reaches most pages, whole and as fragments"
    seconds = time.perf_counter() - started
    print(f"\ncrawl as {role}: {len(answers)} requests, {reached} pages in {seconds:.2f} s")


# Pages of a long list read besides the first, the second and the last, following "next".
FOLLOWED_PAGES = 4


def list_pages(site, client, url: str) -> dict[str, Answer]:
    """Page 1, 2 (when there is one) and the last of a list, whole and as a fragment, and the
    pages their links lead to (previous, next), up to a few."""
    first_page, response = fetch(site, client, url)
    assert first_page.status == 200, url
    pages = re.search(r"(\d+)\s*(?:页|pages)", response.get_data(as_text=True))
    last = int(pages[1]) if pages else 1
    to_visit = [with_page(url, 1)] + [with_page(url, number) for number in {2, last} if 1 < number <= last]
    answers, seen = {}, set()
    while to_visit and len(seen) < FOLLOWED_PAGES + 3:
        address = to_visit.pop(0)
        if address in seen:
            continue
        seen.add(address)
        for htmx in (False, True):
            answer, response = fetch(site, client, address, htmx)
            answers[f"{address}{' (htmx)' if htmx else ''}"] = answer
            if not htmx:
                to_visit.extend(
                    sorted(pages_linked(response.get_data(as_text=True), urlsplit(url).path) - seen)
                )
    return answers


@pytest.mark.parametrize("url", LISTS)
def test_lists_page_through_a_real_compound_at_one_cost(compound_real, compound_small, url):
    real = list_pages(compound_real, sign_in(compound_real, "admin"), url)
    small = list_pages(compound_small, sign_in(compound_small, "admin"), url)
    assert {answer.status for answer in [*real.values(), *small.values()]} == {200}, real
    assert any("page=2" in address for address in real), f"{url} has one page only: the compound is too small"
    # The whole pages and the fragments each cost one number of queries, wherever they are.
    for htmx in (False, True):
        costs = {
            f"{site} {address}": answer.queries
            for site, pages in (("real", real), ("small", small))
            for address, answer in pages.items()
            if address.endswith(" (htmx)") == htmx
        }
        assert len(set(costs.values())) == 1, f"query counts differ: {costs}"


@pytest.mark.parametrize("page", ["0", "-3", "9999", "9223372036854775808", "x", ""])
def test_any_page_number_shows_a_page_of_the_list(compound_real, page):
    client = sign_in(compound_real, "admin")
    for url in LISTS:
        response = client.get(with_page(url, page))
        assert response.status_code == 200, f"{url} page={page}: {response.status_code}"
