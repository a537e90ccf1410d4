"""Backups and restores of the database, each copy checked before it is trusted.

SQLite: the online backup API copies a consistent snapshot while the app runs (a plain
file copy misses what WAL mode still holds in ``-wal``); the copy is a single file in
rollback-journal mode, checked with ``PRAGMA integrity_check``. A restore refuses while
any process has the database open, checks the backup, puts the current file aside
(with its ``-wal``, so that it stays readable) and drops the stale ``-shm``: copying a
backup over a database whose ``-wal``/``-shm`` pair a crashed run left beside it is what
corrupts it.

PostgreSQL: ``pg_dump -Fc``, checked by reading its table of contents
(``pg_restore --list``); a restore refuses while other sessions are connected, dumps the
current database aside first, then runs ``pg_restore --clean --if-exists`` in one
transaction.

Names: ``<database>-<UTC timestamp>.sqlite3`` or ``.dump``, so that ``keep`` can prune
the oldest of them and nothing else.
"""

import fcntl
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

# SQLite's unix VFS keeps a shared lock on this byte of the -shm file for as long as a
# connection to a WAL database is open ("DMS" lock: UNIX_SHM_BASE 120 + SQLITE_SHM_NLOCK 8).
SQLITE_SHM_DMS_BYTE = 128
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
TIMESTAMP_PATTERN = r"\d{8}T\d{6}Z"


class BackupError(Exception):
    """A backup or restore that must not go on; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    kept_aside: list[Path]
    tables: dict[str, int]  # table name -> rows, as restored


def timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime(TIMESTAMP_FORMAT)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def database_name(url: URL) -> str:
    if is_sqlite(url):
        return Path(sqlite_path(url)).stem
    return url.database or "database"


def backup_suffix(url: URL) -> str:
    return ".sqlite3" if is_sqlite(url) else ".dump"


def backup_path(url: URL, destination: Path | None, default_directory: Path) -> Path:
    """A directory (or nothing: the default one) gets a timestamped file name; a file name is kept."""
    directory = destination if destination is not None and destination.is_dir() else None
    if destination is not None and directory is None:
        return destination
    name = f"{database_name(url)}-{timestamp()}{backup_suffix(url)}"
    return (directory or default_directory) / name


def make_backup(url: URL, destination: Path) -> Path:
    """Write a checked backup of the database at ``url`` to ``destination``; return it."""
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if is_sqlite(url):
            sqlite_backup(sqlite_path(url), partial)
            problems = sqlite_integrity_problems(partial)
            if problems:
                raise BackupError(f"The copy failed its integrity check: {'; '.join(problems[:5])}")
        else:
            pg_dump(url, partial)
            pg_dump_tables(partial)  # raises unless pg_restore can read it
        os.chmod(partial, 0o600)  # residents' personal data: readable by the owner only
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination


def prune_backups(url: URL, directory: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest timestamped backups of this database in ``directory``."""
    pattern = re.compile(
        re.escape(database_name(url)) + "-" + TIMESTAMP_PATTERN + re.escape(backup_suffix(url)) + "$"
    )
    backups = sorted(path for path in directory.iterdir() if pattern.match(path.name))
    removed = backups[: max(len(backups) - keep, 0)]
    for path in removed:
        path.unlink()
    return removed


def restore_backup(url: URL, source: Path, aside_directory: Path) -> RestoreResult:
    """Replace the database at ``url`` with the backup ``source``; see the module's docstring."""
    if not source.is_file():
        raise BackupError(f"No backup at {source}.")
    if is_sqlite(url):
        return sqlite_restore(sqlite_path(url), source)
    return pg_restore(url, source, aside_directory)


# SQLite ------------------------------------------------------------------------------


def sqlite_path(url: URL) -> str:
    if url.database in (None, "", ":memory:"):
        raise BackupError("An in-memory SQLite database has nothing to back up or restore.")
    return url.database


def sidecars(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


@contextmanager
def sqlite_connection(path: Path, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = Path(path).resolve().as_uri() + ("?mode=ro" if read_only else "")
    with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as connection:
        yield connection


def sqlite_backup(source: str, destination: Path) -> None:
    """One step of the online backup API: a consistent snapshot even while others write."""
    with sqlite_connection(Path(source)) as reader, sqlite_connection(destination) as copy:
        reader.backup(copy)
        # A single self-contained file: no -wal to forget when it is copied off the machine.
        copy.execute("PRAGMA journal_mode = DELETE")


def sqlite_integrity_problems(path: Path) -> list[str]:
    """What ``PRAGMA integrity_check`` finds wrong; empty when the file is sound."""
    try:
        with sqlite_connection(path, read_only=True) as connection:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlite3.DatabaseError as error:
        return [str(error)]
    return [] if rows == ["ok"] else rows


def sqlite_table_counts(path: Path) -> dict[str, int]:
    with sqlite_connection(path, read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_schema "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def sqlite_processes_using(path: Path) -> bool:
    """Whether another process has this WAL database open (idle connections included).

    Every connection holds a shared lock on the -shm file's DMS byte; a process that was
    killed holds none, since the kernel drops a dead process's locks. Call this before
    this process opens the database itself: closing the probe drops the process's own
    POSIX locks on the file.
    """
    _, shm = sidecars(path)
    if not shm.exists():
        return False
    with open(shm, "r+b") as probe:
        try:
            fcntl.lockf(probe, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SQLITE_SHM_DMS_BYTE)
        except OSError:
            return True
        fcntl.lockf(probe, fcntl.LOCK_UN, 1, SQLITE_SHM_DMS_BYTE)
    return False


def sqlite_writer_active(path: Path) -> bool:
    """Whether a transaction holds a database in rollback-journal mode right now.

    Only for a database without a -shm (not in WAL mode, or nobody has it open): in WAL
    mode ``sqlite_processes_using`` is the test, and opening the file here would
    checkpoint a stale -wal into it before it is put aside.
    """
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    except sqlite3.DatabaseError:
        return False  # not a database any more: nobody can be using it, replacing it is the point
    finally:
        connection.close()
    return False


def sqlite_in_use(path: Path) -> bool:
    if not path.exists():
        return False
    if sidecars(path)[1].exists():
        return sqlite_processes_using(path)
    return sqlite_writer_active(path)


def sqlite_restore(database: str, source: Path) -> RestoreResult:
    target = Path(database)
    problems = sqlite_integrity_problems(source)
    if problems:
        raise BackupError(f"The backup {source} failed its integrity check: {'; '.join(problems[:5])}")
    if sqlite_in_use(target):
        raise BackupError(
            f"The database {target} is open in another process. Stop the app first (every gunicorn "
            "worker, `flask run`, and any sqlite3 shell or cron job using it), then restore again."
        )
    stamp = timestamp()
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f"{target.name}.restoring-{stamp}")
    sqlite_backup(str(source), incoming)
    problems = sqlite_integrity_problems(incoming)
    if problems:
        incoming.unlink()
        raise BackupError(f"The copy of the backup failed its integrity check: {'; '.join(problems[:5])}")

    # The current file goes aside with its -wal renamed to match, so it stays readable as it
    # was; the -shm is only an index of the -wal and is rebuilt, so it goes.
    aside = target.with_name(f"{target.name}.replaced-{stamp}")
    wal, shm = sidecars(target)
    kept = []
    if target.exists():
        target.replace(aside)
        kept.append(aside)
    if wal.exists():
        aside_wal = sidecars(aside)[0]
        wal.replace(aside_wal)
        kept.append(aside_wal)
    shm.unlink(missing_ok=True)
    incoming.replace(target)

    problems = sqlite_integrity_problems(target)
    if problems:
        raise BackupError(
            f"The restored database failed its integrity check: {'; '.join(problems[:5])}; "
            f"the previous one is at {aside}."
        )
    return RestoreResult(source, kept, sqlite_table_counts(target))


# PostgreSQL --------------------------------------------------------------------------


def pg_command_environment(url: URL) -> tuple[str, dict]:
    """A libpq connection URI without the password, which goes in PGPASSWORD instead
    (a command line is visible to every user of the machine)."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, environment


PG_CLIENT_MISSING = "{} is not installed (Debian: apt-get install postgresql-client)."


def run_tool(arguments: list[str], what: str, environment: dict | None = None) -> str:
    try:
        finished = subprocess.run(arguments, capture_output=True, text=True, env=environment, check=False)
    except FileNotFoundError:
        raise BackupError(PG_CLIENT_MISSING.format(arguments[0])) from None
    if finished.returncode != 0:
        raise BackupError(f"{what} failed: {finished.stderr.strip()}")
    return finished.stdout


def run_pg_tool(url: URL, arguments: list[str], what: str) -> str:
    """Run a client tool on the database at ``url`` (``--dbname`` is added)."""
    conninfo, environment = pg_command_environment(url)
    return run_tool([*arguments, f"--dbname={conninfo}"], what, environment)


def pg_dump(url: URL, destination: Path) -> None:
    run_pg_tool(url, ["pg_dump", "--format=custom", f"--file={destination}"], "pg_dump")


def pg_dump_tables(dump: Path) -> list[str]:
    """The tables a dump holds, read from its table of contents; raises if it cannot be read."""
    listing = run_tool(["pg_restore", "--list", str(dump)], f"Reading the dump {dump}")
    # Lines such as "215; 1259 16390 TABLE public user postgres".
    tables = re.findall(r"^\d+; \d+ \d+ TABLE (?!DATA )\S+ (\S+) ", listing, re.M)
    if not tables:
        raise BackupError(f"The dump {dump} holds no tables.")
    return tables


def pg_other_sessions(url: URL) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT pid, usename, application_name, client_addr, backend_start "
                    "FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).all()
    finally:
        engine.dispose()
    return [
        f"pid {row.pid} (user {row.usename}, {row.application_name or 'no application name'}, "
        f"from {row.client_addr or 'local socket'}, since {row.backend_start:%Y-%m-%d %H:%M})"
        for row in rows
    ]


def pg_table_counts(url: URL, tables: list[str]) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            present = set(sa.inspect(connection).get_table_names())
            missing = sorted(set(tables) - present)
            if missing:
                raise BackupError(f"After the restore these tables are missing: {', '.join(missing)}.")
            return {
                name: connection.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in sorted(tables)
            }
    finally:
        engine.dispose()


def pg_restore(url: URL, source: Path, aside_directory: Path) -> RestoreResult:
    tables = pg_dump_tables(source)
    sessions = pg_other_sessions(url)
    if sessions:
        raise BackupError(
            f"Other sessions are connected to the database {url.database}: "
            + "; ".join(sessions)
            + ". Stop the app (every gunicorn worker and cron job) and close these sessions, "
            "then restore again."
        )
    aside_directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    aside = aside_directory / f"{database_name(url)}-replaced-{timestamp()}.dump"
    make_backup(url, aside)
    run_pg_tool(
        url,
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",  # all or nothing: a failed restore leaves the database as it was
            str(source),
        ],
        "pg_restore",
    )
    return RestoreResult(source, [aside], pg_table_counts(url, tables))
