"""The accessibility gate every browser test passes through (issue 10).

Each page a test opens is checked when it has loaded, and again after each htmx swap:
axe-core (vendored from npm, tests only: ``vendor/``) at the WCAG 2.0/2.1/2.2 A and AA
tags must find nothing, and every visible link, button and form control must be big
enough to tap at 360 px: 44×44 px on the pages residents and volunteers use (public
pages, sign-in, ``/me``), 24×24 px elsewhere (WCAG 2.2 "target size (minimum)").

How it stays out of the app: the check is an init script (Playwright injects it through
the DevTools protocol, so the app's ``script-src 'self'`` policy stays as in production).
A test's navigations, clicks and key presses wait until the check of the page is done
(and a navigation that starts while a check runs anyway is held until then), so a quick
test cannot leave a page unchecked. A page opened without JavaScript cannot run axe
(timers never fire), so its HTML, scripts removed, is checked in a twin page with
JavaScript on, styles and viewport alike (``TwinPage``).
"""

import functools
import hashlib
import re
import weakref
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

from tests.forms import without_csrf_tokens

VENDOR = Path(__file__).parent / "vendor"
AXE = (VENDOR / "axe-core-4.14.1.min.js").read_text(encoding="utf-8")
CHECK = (Path(__file__).parent / "accessibility_check.js").read_text(encoding="utf-8")
INIT_SCRIPT = AXE + "\n" + CHECK

# Pages residents, volunteers and the not-yet-signed-in use on phones: a fingertip, 44 px.
FINGER_SIZED_PATHS = re.compile(r"^/($|s/|r(/|$)|auth/login|me$)")
FINGER = 44
MINIMUM = 24
SCRIPT_TAG = re.compile(r"<script\b.*?</script>", re.S | re.I)
# Only requests that may be navigations pass through Python: a pattern (unlike a function) is
# matched inside the browser, so styles, scripts and images load without a round trip each.
NOT_STATIC = re.compile(r"^(?!.*/static/)")
# What axe and the tap-target check see: the page as laid out, at this size, on this medium.
SNAPSHOT = (
    "[innerWidth, innerHeight, matchMedia('print').matches, document.documentElement.outerHTML].join('\\n')"
)
# What a test does to a page that may take it elsewhere; each waits for the check of the page.
ACTIONS = ("click", "dblclick", "tap", "press", "check", "uncheck", "set_checked", "select_option")
# Pages this test process has checked and found clean, by ``page_key``. The same page again
# (the sign-in page of nearly every test) gives the same findings: axe runs once for it.
CLEAN_PAGES: set[str] = set()
# The gate of each page under test, for the actions of its locators.
GATES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def page_key(url: str, seen: str) -> str:
    address = urlsplit(url)
    digest = hashlib.blake2b(without_csrf_tokens(seen).encode(), digest_size=16)
    digest.update(f"{address.path}?{address.query}".encode())
    return digest.hexdigest()


def smallest_target_for(url: str) -> int:
    return FINGER if FINGER_SIZED_PATHS.match(urlsplit(url).path) else MINIMUM


def problems_in(found: dict, moment: str) -> list[str]:
    """What a check found, each problem worded so that whoever reads it knows what to fix."""
    where = f"{urlsplit(found['url']).path} ({moment})"
    if found.get("error"):
        return [f"{where}: the accessibility check itself failed: {found['error']}"]
    problems = []
    for violation in found["violations"]:
        rule = f"axe '{violation['id']}' ({violation['impact']})"
        lines = [f"{where}: {rule}: {violation['help']} — {violation['helpUrl']}"]
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    at {node['target']}: {node['html']}\n      {summary}")
        problems.append("\n".join(lines))
    smallest = smallest_target_for(found["url"])
    for target in found["targets"]:
        if target["width"] < smallest or target["height"] < smallest:
            problems.append(
                f"{where}: tap target {target['selector']} “{target['text']}” is "
                f"{target['width']}×{target['height']} px; it needs at least {smallest}×{smallest} px "
                f"here (give it padding or a min-height/min-width in static/css/app.css)"
            )
    return problems


def after_the_check(action, gate_of):
    """``action`` (a click, a key press…) first waits for the check of the page it acts on.

    Holding the navigation it starts until the check ends, instead, can stall both: Chromium
    stops evaluating in a page whose browser-side navigation has begun (seen as a click's 30 s
    timeout on a busy machine). Waiting before the action keeps the two apart; holding stays
    for what starts between the wait and the action.
    """

    @functools.wraps(action)
    def act_when_checked(*args, **kwargs):
        gate = gate_of(args)
        if gate is not None:
            gate.wait_until_loaded_and_checked()
        return action(*args, **kwargs)

    return act_when_checked


class AccessibilityGate:
    """Watches one page; ``problems`` lists what the checks found, in the order found."""

    def __init__(self, page, javascript: bool, twin: "TwinPage | None"):
        self.page = page
        self.javascript = javascript
        self.twin = twin
        self.problems: list[str] = []
        self.busy = False
        self.test_navigates = False
        self.held_navigations = []
        page.add_init_script(INIT_SCRIPT)
        page.expose_function("__accessibilityBusy", self._set_busy)
        page.expose_function("__accessibilitySwapped", self._swapped)
        page.route(NOT_STATIC, self._hold_navigation_while_busy)
        page.on("load", self._loaded)
        GATES[page] = self
        for name in ("goto", "reload", "go_back", "go_forward"):
            setattr(page, name, self._after_the_check(getattr(page, name)))
        for name in ACTIONS:
            setattr(page, name, after_the_check(getattr(page, name), lambda args: self))

    def _after_the_check(self, navigate):
        """A navigation the test asks for waits for the check of the page it leaves."""

        def navigate_when_checked(*args, **kwargs):
            self.wait_until_loaded_and_checked()
            self.test_navigates = True
            try:
                return navigate(*args, **kwargs)
            finally:
                self.test_navigates = False

        return navigate_when_checked

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        if not busy:
            held, self.held_navigations = self.held_navigations, []
            for route in held:
                route.fallback()

    def _hold_navigation_while_busy(self, route) -> None:
        request = route.request
        if (
            self.busy
            and not self.test_navigates
            and request.is_navigation_request()
            and request.frame == self.page.main_frame
        ):
            self.held_navigations.append(route)
        else:
            route.fallback()

    def _swapped(self, found: dict) -> None:
        self.problems += problems_in(found, "after an htmx swap")
        self._set_busy(False)

    def _loaded(self, page) -> None:
        if urlsplit(page.url).scheme not in ("http", "https"):
            return
        self._set_busy(True)
        try:
            if self.javascript:
                key = page_key(page.url, page.evaluate(SNAPSHOT))
                found = None if key in CLEAN_PAGES else page.evaluate("__accessibilityCheck()")
            else:
                html = SCRIPT_TAG.sub("", page.content())
                key = page_key(page.url, f"{page.viewport_size}\n{html}")
                found = None if key in CLEAN_PAGES else self.twin.check(page.url, html)
        except PlaywrightError as error:
            # The test ended while its last page was being checked, or navigated on its own.
            if "closed" in str(error) or "destroyed" in str(error):
                return
            raise
        finally:
            self._set_busy(False)
        if found is None:
            return
        problems = problems_in(found, "page load" if self.javascript else "page load, without JavaScript")
        if not problems:
            CLEAN_PAGES.add(key)
        self.problems += problems

    def wait_until_loaded_and_checked(self) -> None:
        self.page.wait_for_load_state("load")  # its "load" handler has started the check
        self.wait_until_checked()

    def wait_until_checked(self) -> None:
        # Up to 10 s, looking often: an action waits here after every page load and swap.
        for _ in range(400):
            if not self.busy:
                return
            self.page.wait_for_timeout(25)

    def failure_message(self) -> str:
        return (
            f"{len(self.problems)} accessibility problem(s) on the pages this test visited "
            "(WCAG 2.2 AA through axe-core, and tap target sizes at 360 px). Fix the app "
            "(templates/, static/css/app.css), not the gate:\n\n" + "\n\n".join(self.problems)
        )


class TwinPage:
    """A page with JavaScript on where the HTML of pages opened without it is checked.

    One serves every gate of a test process at its viewport: a new page costs a second or more
    on a busy machine (a renderer to start), more than the check itself.
    """

    def __init__(self, context):
        self.page = context.new_page()
        self.document = ("", "")
        self.page.route(NOT_STATIC, self._serve)

    def check(self, url: str, html: str) -> dict:
        """axe and the tap targets on ``html`` as if served at ``url``, styles and scripts from there."""
        document = url.split("#")[0]
        if self.page.url.split("#")[0] == document:
            self.page.goto("about:blank")  # else a new fragment alone would keep the old HTML
        self.document = (document, html)
        self.page.goto(url)
        return self.page.evaluate("__accessibilityCheck()")

    def _serve(self, route) -> None:
        document, html = self.document
        if route.request.url.split("#")[0] == document:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        else:
            route.fallback()


for _name in ACTIONS:
    setattr(Locator, _name, after_the_check(getattr(Locator, _name), lambda args: GATES.get(args[0].page)))
