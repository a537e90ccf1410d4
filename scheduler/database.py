"""Database behaviour shared by every model: UTC timestamps, SQLite settings, read-only GETs."""

from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, g, has_app_context, request
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC on every backend and hands back aware UTC datetimes.

    SQLite has no time zone type; storing naive UTC everywhere keeps one rule.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class seconds_between(FunctionElement):
    """Seconds from one ``UTCDateTime`` column to another, computed by the database.

    Lets durations be summed in SQL (one row per group, not per record); the two
    backends spell date arithmetic differently, so each gets its own SQL.
    """

    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    # Naive UTC text on SQLite; julianday() reads it, with its fractions of a second.
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


class PlainReads:
    """Read-only statements run on a pooled DBAPI connection, without SQLAlchemy's
    ``Connection``: no execution context, no events, no BEGIN on SQLite (the connection is in
    autocommit mode, so one SELECT reads the latest commit).

    For a read on every request that must stay cheap: the data version behind each page
    served from the public cache (scheduler/public_cache.py) costs a tenth of what it costs
    through a ``Connection``. Each statement is compiled once for the engine's dialect; its
    parameters and columns must need no type conversion (strings, integers). Answers plain
    tuples.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._compiled: dict[sa.Select, sa.engine.Compiled] = {}

    def execute(self, statement: sa.Select, parameters: dict | None = None) -> list[tuple]:
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = statement.compile(dialect=self.engine.dialect)
        values = compiled.construct_params(parameters or {})
        if compiled.positional:
            values = tuple(values[name] for name in compiled.positiontup)
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.string, values)
                return cursor.fetchall()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which ends any transaction the driver began


SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UndeclaredWriteOnGet(RuntimeError):
    """A read-only request (GET/HEAD) tried to write without its view saying so."""


def writes_on_get(view):
    """Declare that a GET view writes (e.g. an access log), so its transaction takes the
    write lock up front like a POST. Other GET and HEAD requests read only: on SQLite in
    a deferred transaction, so that readers proceed side by side under WAL."""
    view.writes_on_get = True
    return view


def request_reads_only() -> bool:
    """True while serving a GET/HEAD request whose view has not declared ``writes_on_get``.

    CLI commands, background work and code run in a bare request context (tests' set-up)
    are not requests being served: they write freely.
    """
    return has_app_context() and g.get("reads_only", False)


def mark_read_only_requests(app: Flask) -> None:
    """Decide, before any other hook can touch the database, whether this request reads only."""

    def decide():
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        g.reads_only = request.method in READ_METHODS and not getattr(view, "writes_on_get", False)

    app.before_request_funcs.setdefault(None, []).insert(0, decide)


@contextmanager
def separate_write(engine: Engine):
    """A short write transaction of its own, on its own connection, inside a read-only request.

    For a page that reads and then notes that it was seen (who was shown a resident's phone):
    the page keeps reading side by side with others, and only this small insert takes the
    write lock, briefly, and only when there is something to note.
    """
    reads_only = g.get("reads_only", False) if has_app_context() else False
    if has_app_context():
        g.reads_only = False
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        if has_app_context():
            g.reads_only = reads_only


def _refuse_write(what: str) -> None:
    raise UndeclaredWriteOnGet(
        f"{request.method} {request.path} ({request.endpoint}) {what}: a GET view that writes "
        "must be declared with @writes_on_get (scheduler/database.py)"
    )


def _changes_records(session) -> bool:
    return bool(session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty))


@sa.event.listens_for(Session, "before_flush")
def _guard_flush(session, flush_context, instances):
    if request_reads_only() and _changes_records(session):
        _refuse_write("changed records")


WRITING_SQL = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _writes(state) -> bool:
    if state.is_insert or state.is_update or state.is_delete:
        return True
    statement = state.statement
    return isinstance(statement, sa.TextClause) and statement.text.lstrip().upper().startswith(WRITING_SQL)


@sa.event.listens_for(Session, "do_orm_execute")
def _guard_bulk_statements(orm_execute_state):
    if request_reads_only() and _writes(orm_execute_state):
        _refuse_write("ran an INSERT, UPDATE or DELETE")


def configure_sqlite(engine: Engine, synchronous: str = "FULL") -> None:
    """WAL, foreign keys, a busy timeout; write transactions lock up front, reads share.

    pysqlite starts transactions lazily with a plain BEGIN, so a request that reads
    and then writes can fail with "database is locked" when another writer got in
    between. Following SQLAlchemy's documented recipe, we switch the driver's own
    transaction handling off and emit BEGIN ourselves: a transaction that may write
    takes the write lock up front (BEGIN IMMEDIATE) and waits (busy timeout) instead of
    failing. A read-only request (``request_reads_only``) begins a deferred transaction,
    which under WAL reads its snapshot without waiting for anyone, and its connection is
    ``query_only``: a write slipping past the flush guard fails at once instead of
    taking the lock late.

    ``synchronous`` (``SQLITE_SYNCHRONOUS``): FULL syncs the WAL at every commit, so a
    power cut loses nothing committed; NORMAL only at checkpoints (faster, see
    ``bench/sync.py``; a crashed process loses nothing either way).
    """
    if engine.dialect.name != "sqlite":
        return
    synchronous = synchronous.upper()
    if synchronous not in SQLITE_SYNCHRONOUS_LEVELS:
        raise RuntimeError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}.")

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.close()
        connection_record.info["query_only"] = False

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        reads_only = request_reads_only() or connection.get_execution_options().get("read_only", False)
        info = connection.connection.info
        if info.get("query_only") != reads_only:
            connection.exec_driver_sql(f"PRAGMA query_only = {int(reads_only)}")
            info["query_only"] = reads_only
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")
