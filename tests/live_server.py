"""A real HTTP server around a test app, and a tiny cookie-keeping client for it.

Used where the in-process test client is not enough: concurrency tests (many
threads, each with its own connection and database session) and browser tests.
"""

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import make_server

from tests.conftest import TEST_PASSWORD
from tests.forms import page_csrf_header


@contextmanager
def serve(app):
    """Serve ``app`` on a free loopback port in a background thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@dataclass
class Answer:
    status: int
    body: str
    location: str | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpSession:
    """One browser-like visitor: its own cookies and its own connections."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.csrf_token: str | None = None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> Answer:
        headers = dict(headers or {})
        if method == "POST" and "csrf_token" not in (data or {}) and "X-CSRFToken" not in headers:
            # As htmx does: the token of the last page this visitor was shown.
            headers["X-CSRFToken"] = self.csrf_token or self._fetch_csrf_token()
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as response:
                answer = Answer(response.status, response.read().decode(), response.headers.get("Location"))
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, error.read().decode(), error.headers.get("Location"))
        self.csrf_token = page_csrf_header(answer.body) or self.csrf_token
        return answer

    def _fetch_csrf_token(self) -> str:
        """The token from a page this visitor may open: /me when signed in, else the sign-in page."""
        for path in ("/me", "/auth/login"):
            if self.get(path).status == 200 and self.csrf_token:
                break
        return self.csrf_token or ""

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> Answer:
        return self.request("POST", path, data, **kwargs)

    def login(self, username: str, password: str = TEST_PASSWORD) -> "HttpSession":
        answer = self.post("/auth/login", {"username": username, "password": password})
        assert answer.status == 302, f"login failed for {username}: {answer.status}"
        # Signing in starts a new session, whose token the next page makes. Fetch it now, once:
        # requests sent all at once would each make one, and all but the last would be refused.
        self.csrf_token = None
        self._fetch_csrf_token()
        return self


def all_at_once(callables):
    """Run the callables in threads released together by a barrier; return their results."""
    barrier = threading.Barrier(len(callables))
    results: list = [None] * len(callables)

    def run(index, function):
        barrier.wait()
        try:
            results[index] = function()
        except Exception as error:  # reported to the test, which fails on it
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
