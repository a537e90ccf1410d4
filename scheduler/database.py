"""Database behaviour shared by every model: UTC timestamps and SQLite settings."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
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


SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def configure_sqlite(engine: Engine, synchronous: str = "FULL") -> None:
    """WAL, foreign keys, a busy timeout and write-locking transactions for SQLite.

    pysqlite starts transactions lazily with a plain BEGIN, so a request that reads
    and then writes can fail with "database is locked" when another writer got in
    between. Following SQLAlchemy's documented recipe, we switch the driver's own
    transaction handling off and emit BEGIN IMMEDIATE ourselves: every transaction
    takes the write lock up front and waits (busy timeout) instead of failing.

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

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
