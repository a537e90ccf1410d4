"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium).

Chromium cannot be downloaded here, so Playwright launches the system build. In CI
(CI=true) a missing browser is an error, never a silent skip.
"""

import os
from pathlib import Path

import pytest

from tests.browser.accessibility import INIT_SCRIPT, AccessibilityGate, TwinPage
from tests.live_server import serve
from tests.outbox.conftest import peer, set_channels  # noqa: F401  (robots played on loopback)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """Base URL of the test app served on a free loopback port."""
    with serve(app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def twin_page(browser):
    """``twin_page(viewport)``: the page, JavaScript on, where pages opened without it at that
    viewport are checked; one per viewport for the whole test process."""
    twins = {}

    def twin(viewport) -> TwinPage:
        key = (viewport["width"], viewport["height"])
        if key not in twins:
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            context.add_init_script(INIT_SCRIPT)
            twins[key] = TwinPage(context)
        return twins[key]

    yield twin
    for twin_of_a_viewport in twins.values():
        twin_of_a_viewport.page.context.close()


@pytest.fixture
def make_page(browser, twin_page, request):
    """``make_page(viewport=PHONE, javascript=True)``: a fresh browser context and page.

    Guards: a test run "with JS" (parametrized ``javascript=True``) fails if htmx never sent a
    request (one with the ``HX-Request`` header): the journey then proved nothing about htmx.
    Every page it opens passes the accessibility gate (``tests/browser/accessibility.py``), and
    logs no error to the console: a refused inline style, an htmx error or a script error
    fails the test. A 4xx answer is logged too ("Failed to load resource"); that one is allowed,
    since a refused form answers 422 on purpose.
    """
    contexts = []
    htmx_requests = []
    gates = []
    console_errors = []

    def make(viewport=PHONE, javascript: bool = True):
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript, locale="zh-CN")
        # The accessibility check of a page holds navigations away from it until it ends; on 2
        # busy cores axe takes seconds on a long page (an import preview), so 10 s was flaky.
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "request", lambda sent: htmx_requests.append(sent.url) if sent.headers.get("hx-request") else None
        )
        page.on("console", lambda message: note_console_error(console_errors, page.url, message))
        page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
        gates.append(AccessibilityGate(page, javascript, None if javascript else twin_page(viewport)))
        return page

    yield make
    for gate in gates:
        gate.wait_until_checked()
    for context in contexts:
        context.close()
    assert not console_errors, "errors in the browser's console:\n" + "\n".join(console_errors)
    problems = [gate for gate in gates if gate.problems]
    assert not problems, "\n\n".join(gate.failure_message() for gate in problems)
    params = getattr(request.node, "callspec", None)
    if params is not None and params.params.get("javascript") is True:
        assert htmx_requests, "a journey with JavaScript on, and htmx never sent a request"


def note_console_error(errors: list[str], url: str, message) -> None:
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(f"{url}: {message.text}")


def mark_page(page) -> None:
    """A flag that only survives if the page is never reloaded."""
    page.evaluate("window.notReloaded = true")


def was_not_reloaded(page) -> bool:
    return page.evaluate("window.notReloaded === true")


@pytest.fixture
def page(make_page):
    """A 360×740 phone page with JavaScript on."""
    return make_page()


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def has_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
