"""Secret links stay out of logs: gunicorn's access and error logs, and the development server's."""

import logging
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config as GunicornConfig

from bench.load import free_port
from scheduler.log_masking import MASK, TOKEN_FILTER, TOKEN_ROUTES, MaskingLogger, mask_tokens

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Zk3_secret-TOKEN_9x"


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"GET /r/{SECRET} HTTP/1.1", f"GET /r/{MASK} HTTP/1.1"),
        (f"POST /r/{SECRET}/rating HTTP/1.1", f"POST /r/{MASK}/rating HTTP/1.1"),
        (f"/shifts/feed/{SECRET}.ics", f"/shifts/feed/{MASK}.ics"),
        # A signed check-in code: a mask ending at the first dot would log its signature.
        (f"GET /shifts/check-in/eyJzIjo3fQ.aZ9x.{SECRET} HTTP/1.1", f"GET /shifts/check-in/{MASK} HTTP/1.1"),
        (f'"/r/{SECRET}" 200', f'"/r/{MASK}" 200'),
        (f"/people/invite/{SECRET}?next=/me", f"/people/invite/{MASK}?next=/me"),
        (f"https://station.example.org/r/{SECRET}", f"https://station.example.org/r/{MASK}"),
        (f"/r/{SECRET}%2Fmore", f"/r/{MASK}"),
        ("/shifts/week/2026-W48", "/shifts/week/2026-W48"),
        ("/requests?state=new", "/requests?state=new"),
    ],
)
def test_tokens_are_masked_and_the_rest_is_kept(text, expected):
    assert mask_tokens(text) == expected


def test_every_route_with_a_token_is_in_the_list(app):
    """A new secret link (an invitation, say) must be added to TOKEN_ROUTES, or this fails."""
    token_rules = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert {rule.rule for rule in token_rules} >= {"/r/<token>", "/shifts/feed/<token>.ics"}
    for rule in token_rules:
        path = re.sub(
            r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: SECRET if m.group(1) == "token" else "7", rule.rule
        )
        assert SECRET not in mask_tokens(path), f"{rule.rule} is not masked: add it to TOKEN_ROUTES"
    assert len(TOKEN_ROUTES) == len(set(TOKEN_ROUTES))


def access_record(path: str, referrer: str) -> logging.LogRecord:
    """The record gunicorn's access log writes for one request, through MaskingLogger."""
    config = GunicornConfig()
    config.set("accesslog", "-")
    logger = MaskingLogger(config)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.access_log.addHandler(handler)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": referrer,
    }
    response = SimpleNamespace(status="404 NOT FOUND", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referrer)])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    logger.access_log.removeHandler(handler)
    return records[0]


def test_gunicorn_access_records_show_no_token():
    record = access_record(f"/shifts/feed/{SECRET}.ics", f"http://station.test/r/{SECRET}")
    line = record.getMessage()
    assert SECRET not in line
    assert f'"GET /shifts/feed/{MASK}.ics HTTP/1.1" 404' in line
    assert f"/r/{MASK}" in line


def test_error_log_and_development_server_log_are_masked(app, caplog):
    record = logging.LogRecord(
        "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s", (f"/r/{SECRET}",), None
    )
    assert TOKEN_FILTER.filter(record) and SECRET not in record.getMessage()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('"%s" %s %s', f"GET /shifts/feed/{SECRET}.ics HTTP/1.1", 404, "-")
    assert SECRET not in caplog.text and f"/shifts/feed/{MASK}.ics" in caplog.text


def test_the_apps_own_error_log_masks_the_failing_path(app, caplog):
    with app.test_request_context(f"/r/{SECRET}"), caplog.at_level(logging.ERROR, logger="scheduler"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            app.log_exception(sys.exc_info())
    assert f"Exception on /r/{MASK} [GET]" in caplog.text
    assert SECRET not in caplog.text


def test_a_real_gunicorn_with_the_shipped_config_masks_tokens_and_warns(database_url, tmp_path):
    """gunicorn -c gunicorn.conf.py on loopback, two workers, memory:// counters; bounded."""
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "SCHEDULER_ENV": "production",
        "SECRET_KEY": "gunicorn-test-secret",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2",
        "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log), "wsgi:app",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        for path in (f"/r/{SECRET}", f"/shifts/feed/{SECRET}.ics"):
            request = urllib.request.Request(base + path, headers={"Referer": f"{base}/r/{SECRET}"})
            with pytest.raises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(request, timeout=10)
            answer.value.close()
            assert answer.value.code == 404
    finally:
        server.terminate()
        _out, errors = server.communicate(timeout=20)
    log = access_log.read_text()
    assert SECRET not in log
    assert f'"GET /r/{MASK} HTTP/1.1" 404' in log and f'"GET /shifts/feed/{MASK}.ics HTTP/1.1" 404' in log
    assert "memory:// by each of 2 workers" in errors
