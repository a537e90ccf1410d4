"""Configuration read from the environment.

Production refuses to start without SECRET_KEY: there is no fallback secret.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def rate_limit_storage_uri(environ=os.environ) -> str:
    """Where rate-limit counters live: RATELIMIT_STORAGE_URI, else REDIS_URL, else memory."""
    return environ.get("RATELIMIT_STORAGE_URI") or environ.get("REDIS_URL") or "memory://"


def separate_counters_warning(storage_uri: str, workers: int) -> str | None:
    """The warning for several worker processes that each keep their own counters, or None."""
    if workers > 1 and storage_uri.startswith("memory://"):
        return (
            f"Rate limits are kept in memory:// by each of {workers} workers, so every limit is "
            f"{workers} times looser than configured. Set REDIS_URL (or RATELIMIT_STORAGE_URI) "
            "so that the workers count together."
        )
    return None


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'scheduler.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # FULL: nothing committed is lost on a power cut, for ~4 ms more per write (bench/sync.py).
    SQLITE_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "FULL")
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    HTTPS = _flag("HTTPS")
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # The secretary's dashboard lists home-visit tasks assigned longer ago than this and not yet accepted.
    TASK_ACCEPT_WITHIN_HOURS = int(os.environ.get("TASK_ACCEPT_WITHIN_HOURS", "4"))

    # Shared state for several workers or servers: the public pages' cache (and rate limits).
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Keys of the public pages' cache in Redis: give each deployment sharing one Redis its own.
    PUBLIC_CACHE_KEY_PREFIX = os.environ.get("PUBLIC_CACHE_KEY_PREFIX", "scheduler:public:")

    # HTML, CSS, JS and SVG compressed for clients that accept it; static files and cached
    # public pages are compressed once, at their best level (see static_files, public_cache).
    COMPRESS_ALGORITHM = ["br", "gzip"]

    # Notices outside the app (see README: Notices that reach phones).
    SMTP_URL = os.environ.get("SMTP_URL", "")  # smtp://user:pass@host:587 (STARTTLS) or smtps://…:465
    MAIL_FROM = os.environ.get("MAIL_FROM", "")
    NOTICE_TIMEOUT_SECONDS = float(os.environ.get("NOTICE_TIMEOUT_SECONDS", "10"))
    NOTICE_SEND_THREADS = int(os.environ.get("NOTICE_SEND_THREADS", "8"))  # per worker
    NOTICE_MAX_ATTEMPTS = int(os.environ.get("NOTICE_MAX_ATTEMPTS", "6"))
    NOTICE_RETRY_SECONDS = int(os.environ.get("NOTICE_RETRY_SECONDS", "60"))  # doubles after each failure
    NOTICE_EVENING_HOUR = int(os.environ.get("NOTICE_EVENING_HOUR", "19"))  # reminder the evening before
    NOTICE_SOON_HOURS = int(os.environ.get("NOTICE_SOON_HOURS", "2"))  # and this long before
    NOTICE_ANSWER_WITHIN_HOURS = int(os.environ.get("NOTICE_ANSWER_WITHIN_HOURS", "24"))
    NOTICE_MORNING_HOUR = int(os.environ.get("NOTICE_MORNING_HOUR", "8"))  # weekly digest, monthly report

    RATELIMIT_STORAGE_URI = rate_limit_storage_uri()
    RATELIMIT_HEADERS_ENABLED = False
    # Sign-in throttling (scheduler/auth/throttle.py; the numbers are argued in the README).
    LOGIN_LIMIT_PER_USERNAME = os.environ.get("LOGIN_LIMIT_PER_USERNAME", "5 per 15 minutes")
    LOGIN_LIMIT_KNOWN_DEVICE = os.environ.get("LOGIN_LIMIT_KNOWN_DEVICE", "10 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes")
    LOGIN_DELAY_MAX_SECONDS = int(os.environ.get("LOGIN_DELAY_MAX_SECONDS", "600"))
    # Invitation (set-password) links: how long they work, and how often one address may try them.
    INVITATION_VALID_HOURS = int(os.environ.get("INVITATION_VALID_HOURS", "72"))
    INVITATION_LIMIT_PER_ADDRESS = os.environ.get("INVITATION_LIMIT_PER_ADDRESS", "20 per 15 minutes")
    # Residents' service requests: every attempt counts per address (one compound may share
    # an address behind the carrier's NAT), only filed requests count per phone number.
    REQUEST_LIMIT_PER_ADDRESS = os.environ.get("REQUEST_LIMIT_PER_ADDRESS", "20 per hour")
    REQUEST_LIMIT_PER_PHONE = os.environ.get("REQUEST_LIMIT_PER_PHONE", "3 per day")
    # Finding a request again (/r): 4 digits are 10,000 guesses, so wrong tries are few per
    # reference whatever the address, and limited per address against sweeping references.
    LOOKUP_LIMIT_PER_ADDRESS = os.environ.get("LOOKUP_LIMIT_PER_ADDRESS", "20 per hour")
    LOOKUP_LIMIT_PER_REFERENCE = os.environ.get("LOOKUP_LIMIT_PER_REFERENCE", "5 per day")

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent.parent / "translations")
    LANGUAGES = {"zh": "简体中文", "en": "English"}

    # Spreadsheet uploads wait here between preview and confirm (see scheduler/importing/store.py).
    IMPORT_DIR = os.environ.get("IMPORT_DIR", str(INSTANCE_DIR / "imports"))
    # No request body is larger (the largest is a 2 MB spreadsheet); a bigger one gets 413 unread.
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    # A volunteer holding a task sees the resident's name, address and phone until this many
    # hours after the task's time window ends, even if the task is never marked done.
    CONTACT_GRACE_HOURS = float(os.environ.get("CONTACT_GRACE_HOURS", "12"))

    # Retention (scheduler/retention.py, `flask retention`): closed requests lose the resident's
    # personal data, residents out of care theirs, and the access log its old rows, after this many days.
    REQUEST_RETENTION_DAYS = int(os.environ.get("REQUEST_RETENTION_DAYS", "365"))
    CARE_RETENTION_DAYS = int(os.environ.get("CARE_RETENTION_DAYS", "365"))
    ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("ACCESS_LOG_RETENTION_DAYS", "1096"))

    # Volunteers may give back a confirmed shift until this many hours before it starts.
    WITHDRAW_CUTOFF_HOURS = int(os.environ.get("WITHDRAW_CUTOFF_HOURS", "12"))

    # A volunteer's phone page may stay open for hours; the token stays valid for the session.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_NAME = "remember_token"
    # Also the longest a sign-in lasts, remembered or not (see scheduler/auth/services.py).
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)

    @classmethod
    def check(cls, config: dict) -> None:
        if not config.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set (see README: Configuration).")


class DevelopmentConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret-key")

    @classmethod
    def check(cls, config: dict) -> None:
        pass


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    RATELIMIT_STORAGE_URI = "memory://"
    # A test database is thrown away: no fsync at every commit of thousands of tests.
    SQLITE_SYNCHRONOUS = "NORMAL"
    REDIS_URL = None
    BASE_URL = "http://station.test"
    HTTPS = False
    # One folder per test process; tests that look into it pass their own.
    IMPORT_DIR = str(Path(tempfile.gettempdir()) / f"scheduler-test-imports-{os.getpid()}")
    SMTP_URL = ""
    MAIL_FROM = ""
    NOTICE_TIMEOUT_SECONDS = 2.0

    @classmethod
    def check(cls, config: dict) -> None:
        pass


CONFIGS = {
    "production": Config,
    "development": DevelopmentConfig,
    "testing": TestConfig,
}
