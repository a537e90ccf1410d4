"""Every form and every query parameter of the app, fed hostile values: never a 5xx.

Nothing here is listed by hand. The forms are the ones the pages render: each role opens
every GET page of the app (as the crawl does, on a small compound) and ``read_forms``
collects what is there, so a new form is fuzzed the day it appears. The query parameters
are the names the code reads from ``request.args`` (found in the source) and the fields of
the pages' GET forms, sent to every GET route.

Each form is sent (1) with every field set to one hostile value at a time, then (2) as the
page filled it, with one field changed to a value that a lenient form would pass on to the
services and the database (an id past 2**31, a negative number, blanks, 10,000 characters).
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL, where NUL and int4 bite.
"""

import re
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

import scheduler
from tests.forms import read_forms
from tests.hardening.test_crawl import get_rules, page_url, path_values

# Every field of a form at once, one value at a time.
HOSTILE = [
    "a\x00b",
    "2147483648",
    "   ",
    "x" * 10_000,
    "王阿姨 🙂 \u202e\ufeff\x07 9999-12-31T25:61",
]
# Every query parameter at once, one value at a time.
HOSTILE_QUERY = ["2147483648", "9223372036854775808", "-1", "   ", "x" * 10_000]
# Values a form that checks too little passes on: one field at a time, the rest as rendered.
PASSED_ON = ["2147483648", "   ", "x" * 10_000]
# Forms that would end the session the fuzzing runs in.
SESSION_ENDING = ("/auth/logout", "/auth/logout-everywhere")
ROLES = ["anonymous", "volunteer", "superadmin", "admin"]
# The pages that read query strings are the public ones and the staff's; the volunteer's and
# the street office's read none of their own.
QUERY_ROLES = ("anonymous", "admin")


def query_parameters_read_by_the_code() -> set[str]:
    source = "\n".join(path.read_text() for path in Path(scheduler.__file__).parent.rglob("*.py"))
    names = re.findall(r'args\.get\(\s*"(\w+)"|args\["(\w+)"\]|"(\w+)" in request\.args', source)
    return {name for group in names for name in group if name}


def site_for(app, compound):
    return type("Site", (), {"app": app, "compound": compound})()


def shape(address: str) -> str:
    """/tasks/12/decline and /tasks/13/decline are one form to fuzz."""
    return re.sub(r"/\d+", "/<id>", urlsplit(address).path)


def forms_and_filters(app, site, client, role: str):
    """The forms on every page this role opens (one per action shape), and GET field names."""
    values = path_values(site, role)
    forms, get_fields, pages = {}, set(), {}
    for rule in get_rules(app):
        if rule.endpoint == "static":
            continue
        url = page_url(rule, values)
        response = client.get(url)
        if response.status_code != 200:
            continue
        pages[url] = set()
        if not response.content_type.startswith("text/html"):
            continue
        for form in read_forms(response.get_data(as_text=True)):
            action = urljoin(url, form.action or url)
            if urlsplit(action).path.startswith(SESSION_ENDING):
                continue
            if form.method == "get":
                get_fields |= form.names
                pages[url] |= form.names
                continue
            forms.setdefault(shape(action), (action, form))
    return forms, get_fields, pages


def send(client, method: str, address: str, pairs, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "get":
        return client.get(address, query_string=pairs, headers=headers)
    return client.post(address, data=MultiDict(pairs), headers=headers)


def fuzz_form(client, action: str, form, failures: list) -> int:
    baseline = form.successful_controls()
    fields = sorted(name for name in form.names if name != "csrf_token")
    token = [(name, value) for name, value in baseline if name == "csrf_token"]
    sent = 0
    for number, value in enumerate(HOSTILE):
        pairs = token + [(name, value) for name in fields]
        response = send(client, "post", action, pairs, htmx=number % 2 == 1)
        sent += 1
        if response.status_code >= 500:
            failures.append(f"POST {action} every field = {value[:30]!r}: {response.status_code}")
    for field in fields:
        for number, value in enumerate(PASSED_ON):
            pairs = [(name, old) for name, old in baseline if name != field] + [(field, value)]
            response = send(client, "post", action, pairs, htmx=number % 2 == 1)
            sent += 1
            if response.status_code >= 500:
                failures.append(f"POST {action} {field} = {value[:30]!r}: {response.status_code}")
    return sent


def fuzz_query(client, pages: dict[str, set[str]], parameters: set[str], failures: list) -> int:
    """Every parameter at once on every page; one at a time where the page has a filter form,
    so that a parameter refused early cannot hide another."""
    sent = 0
    for url, filters in pages.items():
        for number, value in enumerate(HOSTILE_QUERY):
            pairs = [(name, value) for name in sorted(parameters)]
            response = send(client, "get", url, pairs, htmx=number % 2 == 1)
            sent += 1
            if response.status_code >= 500:
                failures.append(f"GET {url} every parameter = {value[:30]!r}: {response.status_code}")
        for name in sorted(filters):
            for value in PASSED_ON:
                response = send(client, "get", url, [(name, value)])
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"GET {url} {name}={value[:30]!r}: {response.status_code}")
    return sent


@pytest.mark.parametrize("role", ROLES)
def test_no_form_and_no_query_parameter_answers_5xx(app, tiny_compound, sign_in_as, role):
    started = time.perf_counter()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 to count, not an exception
    client = sign_in_as(role)
    site = site_for(app, tiny_compound)
    forms, get_fields, pages = forms_and_filters(app, site, client, role)
    failures: list[str] = []
    sent = sum(fuzz_form(client, action, form, failures) for action, form in forms.values())
    if role in QUERY_ROLES:
        sent += fuzz_query(client, pages, query_parameters_read_by_the_code() | get_fields, failures)
    assert not failures, "\n".join(failures)
    if role == "admin":
        assert len(forms) >= 25, f"the admin's pages hold most forms: {sorted(forms)}"
    print(f"\nfuzz as {role}: {len(forms)} forms, {sent} requests in {time.perf_counter() - started:.1f} s")
