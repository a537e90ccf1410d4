"""Load generation against a real gunicorn server on loopback: bounded, self-stopping."""

import http.client
import http.cookies
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict, workers: int = 2, threads: int = 4, app: str = "wsgi:app", probe: str = "/healthz"):
    """Serve ``app`` with gunicorn on a free loopback port; yields (port, master process id)."""
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = Client(port).get(probe)
                if status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


class Client:
    """One keep-alive connection with its own cookies."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def _headers(self) -> dict:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie} if cookie else {}

    def _keep_cookies(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            morsel = http.cookies.SimpleCookie(header)
            for name, value in morsel.items():
                self.cookies[name] = value.value

    def fetch(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        status, body, _headers = self.exchange(path, headers)
        return status, body

    def exchange(self, path: str, headers: dict | None = None):
        """GET ``path``: status, body as sent (compressed or not), and the response's headers."""
        self.connection.request("GET", path, headers={**self._headers(), **(headers or {})})
        response = self.connection.getresponse()
        body = response.read()
        self._keep_cookies(response)
        return response.status, body, response.headers

    def cookie_header(self) -> str:
        return self._headers().get("Cookie", "")

    def get(self, path: str) -> tuple[int, int]:
        status, body = self.fetch(path)
        return status, len(body)

    def login(self, username: str, password: str) -> "Client":
        _status, page = self.fetch("/auth/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
        headers = {**self._headers(), "Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request("POST", "/auth/login", body=body, headers=headers)
        response = self.connection.getresponse()
        response.read()
        self._keep_cookies(response)
        if response.status != 302:
            raise RuntimeError(f"login failed for {username}: {response.status}")
        return self


@dataclass
class Result:
    path: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def line(self, baseline: "Result | None" = None) -> str:
        relative = f"  {baseline.per_second / self.per_second:5.1f}× the cost of /healthz" if baseline else ""
        return (
            f"{self.path:<34} {self.per_second:7.0f} req/s"
            f"  p50 {statistics.median(self.latencies_ms):6.1f} ms"
            f"  p95 {self.percentile(0.95):6.1f} ms  errors {self.errors}{relative}"
        )


def hammer(clients: list[Client], path: str, total: int) -> Result:
    """``total`` GETs of ``path`` spread over the clients' threads, all at once."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_client = max(1, total // len(clients))

    def work(client: Client):
        nonlocal errors
        for _ in range(per_client):
            started = time.perf_counter()
            try:
                status, _size = client.get(path)
            except (OSError, http.client.HTTPException):  # a worker restarted: count it, go on
                status = 0
                client.connection.close()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors += 1

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    seconds = time.perf_counter() - started
    return Result(path, len(latencies), errors, seconds, latencies)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
