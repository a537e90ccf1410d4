"""Fixtures shared by every test: an app on a fresh schema, clients per role, factories.

SQLite tests use a file database in a temporary folder (as production does); set
TEST_DATABASE_URL to run the same suite against PostgreSQL.

FREEZE_TODAY=2026-12-27 runs the whole suite as if started on that day, at 10:00 in Shanghai
(or FREEZE_TODAY=2026-12-31T23:30 for another local time), the clock ticking on from there:
the suite must pass on any day (see README, Development).
"""

import os
import re
import sys
from contextlib import contextmanager
from datetime import datetime, time
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.security import generate_password_hash

from scheduler import create_app
from scheduler.config import TestConfig, normalise_database_url
from scheduler.extensions import db, limiter
from scheduler.models import Building, Kind, Role, Station, User

TEST_PASSWORD = "correct-horse-battery"
# scrypt is slow on purpose (werkzeug's default costs ~0.1 s a check); test accounts use a
# cheap work factor so that hundreds of sign-ins stay fast. Production hashes are untouched.
TEST_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD, method="scrypt:1024:8:1")
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
_sequence = count(1)
_frozen_clock = None


def frozen_start(value: str) -> datetime:
    """``2026-12-27`` is 10:00 that day in Shanghai; ``2026-12-27T23:30`` is that local time."""
    moment = (
        datetime.fromisoformat(value)
        if "T" in value
        else datetime.combine(datetime.fromisoformat(value).date(), time(10, 0))
    )
    return moment.replace(tzinfo=moment.tzinfo or ZoneInfo("Asia/Shanghai"))


def pytest_configure(config):
    """With FREEZE_TODAY set, every clock of the run (collection included) starts on that day."""
    global _frozen_clock
    if value := os.environ.get("FREEZE_TODAY"):
        import time_machine

        _frozen_clock = time_machine.travel(frozen_start(value), tick=True)
        _frozen_clock.start()


def pytest_unconfigure(config):
    if _frozen_clock is not None:
        _frozen_clock.stop()


# Runs a module as ``python -m`` would, its clocks set to the instant given first (see below).
_LAUNCH_AT = (
    "import runpy, sys; from datetime import datetime; import time_machine; "
    "time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=True).start(); "
    "sys.argv = sys.argv[2:]; runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)"
)


def python_module_command(module: str, *args: str) -> list[str]:
    """``python -m module args`` for a child process that shares this run's clock.

    With FREEZE_TODAY the tests live on another day than the machine; a child started
    plainly would read the machine's clock and, say, find every queued notice not yet due.
    """
    if _frozen_clock is None:
        return [sys.executable, "-m", module, *args]
    return [sys.executable, "-c", _LAUNCH_AT, datetime.now(ZoneInfo("UTC")).isoformat(), module, *args]


def pytest_report_header(config):
    if value := os.environ.get("FREEZE_TODAY"):
        return f"clock frozen: the run starts at {frozen_start(value).isoformat()}"
    return None


def pytest_collection_modifyitems(config, items):
    """Tests of PostgreSQL's own paths (``@pytest.mark.postgresql``) run in the PostgreSQL pass.

    CI runs the suite on both databases, and a skipped test fails CI, so on SQLite they are
    deselected rather than skipped.
    """
    if POSTGRES_URL:
        return
    dropped = [item for item in items if item.get_closest_marker("postgresql")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


def worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (``test_gw0``, …).

    Workers share the server; emptying tables between tests would otherwise wipe another
    worker's rows mid-test. The database is made on first use and kept for the next run.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = sa.make_url(url)
    name = f"{parsed.database}_{worker}"
    server = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """One database per test run: SQLite in a temporary folder, or TEST_DATABASE_URL.

    The schema is built once; each test starts from empty tables (see ``empty_tables``),
    which is many times faster than rebuilding the schema for every test.
    """
    if POSTGRES_URL:
        url = worker_database(normalise_database_url(POSTGRES_URL))
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            # Whatever an interrupted run left behind goes.
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app(type("SchemaConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


def empty_tables(app) -> None:
    """Delete every row and restart the ids, so each test sees a new database.

    On PostgreSQL a DELETE of a few rows per table and one ``setval`` per sequence take
    milliseconds, where ``TRUNCATE … RESTART IDENTITY`` of every table took about a second
    (it makes new files for each table), once per test.
    """
    with app.app_context(), db.engine.begin() as connection:
        tables = db.metadata.sorted_tables
        # One query finds the tables a test wrote to; most tests touch a handful of the 34.
        holding = connection.execute(
            sa.select(*[sa.exists(sa.select(sa.literal(1)).select_from(table)) for table in tables])
        ).one()
        for table, has_rows in reversed(list(zip(tables, holding, strict=True))):
            if has_rows:
                connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text(
                    "SELECT setval(oid, 1, false) FROM pg_class"
                    " WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"
                )
            )


STATE_CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
NO_CSRF_TOKEN = {"X-CSRFToken": ""}  # headers for a request that must carry no token at all


class CsrfClient(FlaskClient):
    """A test client for an app with CSRF protection on, as in production.

    A state-changing request that carries no token of its own (no ``csrf_token`` field, no
    ``X-CSRFToken`` header) gets the one a page of this client's session would hold, so that
    tests about other rules stay short. Tests about the token itself send their own (an empty
    header sends none); ``tests/forms.py::submit_form`` sends only what the page carries.
    """

    def open(self, *args, **kwargs):
        method = str(kwargs.get("method", "GET")).upper()
        if method in STATE_CHANGING_METHODS:
            headers = Headers(kwargs.get("headers") or {})
            data = kwargs.get("data")
            carries_token = isinstance(data, dict | MultiDict) and "csrf_token" in data
            if "X-CSRFToken" not in headers and not carries_token:
                headers["X-CSRFToken"] = self.csrf_token()
                kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """A valid token for this client's session, made as Flask-WTF's ``generate_csrf`` does."""
        config = self.application.config
        with self.session_transaction() as session:
            raw = session.setdefault(config["WTF_CSRF_FIELD_NAME"], os.urandom(20).hex())
        secret = config.get("WTF_CSRF_SECRET_KEY") or self.application.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def build_test_app(database_url: str, **overrides):
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    app = create_app(type("PerTestConfig", (TestConfig,), settings))
    app.test_client_class = CsrfClient
    return app


def close_test_app(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_factory(database_url):
    """Build an app with extra settings, e.g. ``app_factory(WTF_CSRF_ENABLED=True)``.

    No application context stays pushed: each test request gets its own, with its
    own database session, as in production. Tests that read the database open one
    with ``with app.app_context():``.
    """
    apps = []

    def build(**overrides):
        app = build_test_app(database_url, **overrides)
        empty_tables(app)
        apps.append(app)
        return app

    yield build
    for app in reversed(apps):
        close_test_app(app)


@pytest.fixture(scope="session")
def shared_app(database_url):
    """The default test app, built once per test process and handed to test after test.

    Building an app compiles its ~250 URL rules, and a new app compiles every template it
    renders and every SQL statement it runs again: most of a short test's time. The
    ``app`` fixture puts back what a test may change (settings, rate-limit counters,
    cached public pages) and empties the tables. A test that adds routes or hooks builds
    its own with ``app_factory()``.
    """
    app = build_test_app(database_url)
    yield app, dict(app.config)
    close_test_app(app)


@pytest.fixture
def drop_tables(app):
    """``drop_tables()`` empties the database of tables, for tests that run the migrations.

    The rest of the run shares this database, so afterwards it is left as the models want it.
    """

    def drop():
        with app.app_context():
            db.session.remove()
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))

    yield drop
    drop()
    with app.app_context():
        db.create_all()
        # Migrating switches SQLite's foreign keys off and on per connection; the shared app's
        # next tests start on new connections, set up as every connection is (ON DELETE works).
        db.engine.dispose()


def persist(app, *records):
    """Save records and hand them back detached, their columns loaded, for use in tests."""
    with app.app_context():
        db.session.add_all(records)
        db.session.commit()
        for record in records:
            db.session.refresh(record)
        db.session.expunge_all()
    return records[0] if len(records) == 1 else records


@pytest.fixture
def app(shared_app):
    app, settings = shared_app
    app.config.clear()
    app.config.update(settings)
    limiter.init_app(app)  # the extension is global: an app_factory() app may have taken it over
    app.extensions["public_cache"].clear()
    empty_tables(app)
    yield app
    with app.app_context():
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def separate_database(name: str, database_url: str, tmp_path_factory) -> tuple[str, dict]:
    """(URL, engine options) of an empty database for ``name`` alone, beside the test database.

    Every test empties the test database, so data meant to outlive one test lives apart:
    on SQLite in a file of its own; on PostgreSQL in a schema of its own (``search_path`` set
    on every connection; options["schema"] names it, for the caller to drop), named after the
    xdist worker so that parallel workers do not meet.
    """
    if not POSTGRES_URL:
        return f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.sqlite3'}", {}
    schema = f"{name}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return database_url, {"connect_args": {"options": f"-csearch_path={schema}"}, "schema": schema}


@pytest.fixture(scope="session")
def demo_rows(database_url, tmp_path_factory) -> dict[str, list[dict]]:
    """Every row ``seed-demo`` writes (password DEFAULT_DEMO_PASSWORD), by table: seeded once per
    test process in a database of its own, as seeding takes seconds (tens on PostgreSQL)."""
    from scheduler.demo import DEFAULT_DEMO_PASSWORD, seed_demo

    url, options = separate_database("demo", database_url, tmp_path_factory)
    schema = options.pop("schema", None)
    engine_options = {**TestConfig.SQLALCHEMY_ENGINE_OPTIONS, **options}
    app = build_test_app(url, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    with app.app_context():
        db.create_all()
        seed_demo(DEFAULT_DEMO_PASSWORD)
        db.session.remove()
        with db.engine.begin() as connection:
            rows = {
                table.name: [dict(row._mapping) for row in connection.execute(table.select())]
                for table in db.metadata.sorted_tables
            }
            if schema:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    close_test_app(app)
    return rows


@pytest.fixture
def demo(app, demo_rows) -> None:
    """The demo station in this test's database, as ``flask seed-demo`` leaves it."""
    with app.app_context(), db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            if demo_rows[table.name]:
                connection.execute(table.insert(), demo_rows[table.name])
        if connection.dialect.name == "postgresql":
            # Rows came with their ids: the next id each sequence hands out follows them.
            for table in db.metadata.sorted_tables:
                column = table.autoincrement_column
                if demo_rows[table.name] and column is not None:
                    name = connection.dialect.identifier_preparer.format_table(table)
                    sequence = sa.func.pg_get_serial_sequence(name, column.name)
                    connection.execute(sa.select(sa.func.setval(sequence, sa.func.max(column))))


# Factories ------------------------------------------------------------------


@pytest.fixture
def make_station(app):
    def make(name: str | None = None, buildings: int = 3, **fields) -> Station:
        number = next(_sequence)
        station = persist(
            app,
            Station(slug=fields.pop("slug", f"station-{number}"), name=name or f"测试驿站{number}", **fields),
        )
        persist(
            app,
            *[
                Building(station_id=station.id, name=f"{index}号楼", sort_order=index)
                for index in range(1, buildings + 1)
            ],
        )
        return station

    return make


@pytest.fixture
def station(make_station) -> Station:
    return make_station(name="海源丽都小区党群驿站", slug="haiyuan-lidu")


@pytest.fixture
def make_user(app, station):
    def make(role: Role = Role.VOLUNTEER, station: Station | None = station, **fields) -> User:
        number = next(_sequence)
        user = User(
            username=fields.pop("username", f"{role.value}{number}"),
            display_name=fields.pop("display_name", f"测试{number}"),
            role=role,
            station_id=None if role == Role.SUPERADMIN else (station.id if station else None),
            password_hash=TEST_PASSWORD_HASH,
            phone=fields.pop("phone", f"1390000{number:04d}"),
            kind=fields.pop("kind", Kind.RESIDENT_VOLUNTEER if role == Role.VOLUNTEER else None),
            **fields,
        )
        return persist(app, user)

    return make


# Signing in -----------------------------------------------------------------


class Auth:
    """Sign a test client in as a fresh user of a role: ``auth.login(Role.ADMIN)``."""

    def __init__(self, app, make_user):
        self.app = app
        self.make_user = make_user

    def login(self, role: Role = Role.VOLUNTEER, client=None, user: User | None = None, **fields):
        client = client or self.app.test_client()
        user = user or self.make_user(role, **fields)
        response = client.post("/auth/login", data={"username": user.username, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        client.user = user
        return client


@pytest.fixture
def auth(app, make_user):
    return Auth(app, make_user)


@pytest.fixture
def admin_client(auth):
    return auth.login(Role.ADMIN)


@pytest.fixture
def coordinator_client(auth):
    return auth.login(Role.COORDINATOR)


@pytest.fixture
def volunteer_client(auth):
    return auth.login(Role.VOLUNTEER)


@pytest.fixture
def superadmin_client(auth):
    return auth.login(Role.SUPERADMIN)


# Measuring ------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)", statement, re.I):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...; counter.count`` counts SQL statements."""

    with app.app_context():
        engine = db.engine

    @contextmanager
    def counting():
        counter = QueryCounter()
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    return counting


class _RecordingCursor:
    def __init__(self, cursor, statements: list[str]):
        self._cursor, self._statements = cursor, statements

    def execute(self, sql, parameters=()):
        self._statements.append(sql)
        return self._cursor.execute(sql, parameters)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class _RecordingConnection:
    def __init__(self, connection, statements: list[str]):
        self._connection, self._statements = connection, statements

    def cursor(self):
        return _RecordingCursor(self._connection.cursor(), self._statements)

    def __getattr__(self, name):
        return getattr(self._connection, name)


@pytest.fixture
def plain_reads(app, monkeypatch) -> list[str]:
    """The statements run from now on through ``PlainReads`` (scheduler/database.py): on the
    driver's own pooled connections, which ``count_queries`` (SQLAlchemy's events) cannot see."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    pooled = engine.raw_connection
    monkeypatch.setattr(engine, "raw_connection", lambda: _RecordingConnection(pooled(), statements))
    return statements


def form_error(html: str, field_id: str) -> str | None:
    """The error text shown under a form field, or None."""
    match = re.search(rf'id="{field_id}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None


def answered(response, expected, *sent) -> bool:
    """The status is one of ``expected``, or 400 because something ``sent`` held a NUL.

    Any request carrying NUL is refused with 400 before a view runs (``scheduler.inputs``);
    fuzz tests whose strategies may produce it say so with this.
    """
    if response.status_code in expected:
        return True
    return response.status_code == 400 and "\\x00" in repr(sent)  # repr writes NUL as \\x00


def uploaded_template(app, importer, user) -> str:
    """The id of an upload of the import's own template (one example row), as ``user`` sent it."""
    from scheduler.importing.files import read_table
    from scheduler.importing.store import save_upload
    from scheduler.spreadsheets import workbook_bytes

    with app.app_context():
        table = read_table(workbook_bytes(importer.template()), "template.xlsx")
        return save_upload(importer.kind, "template.xlsx", table, user)
