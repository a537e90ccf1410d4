"""``flask backup`` and ``flask restore``: checked copies, and restores that cannot corrupt.

The SQLite tests use a database file of their own (a restore replaces the file); the
PostgreSQL ones run on TEST_DATABASE_URL when it is set.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler import create_app
from scheduler.backup import sqlite_integrity_problems
from scheduler.config import Config, TestConfig, normalise_database_url
from scheduler.extensions import db
from scheduler.models import Station
from tests.conftest import POSTGRES_URL

STATION_NAME = "海源丽都小区党群驿站"


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on its own SQLite file (WAL mode, as in production), holding one station."""
    database = tmp_path / "data" / "scheduler.sqlite3"
    database.parent.mkdir()
    app = create_app(type("FileConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}))
    app.instance_path = str(tmp_path / "instance")
    app.database_file = database
    with app.app_context():
        db.create_all()
        db.session.add(Station(slug="haiyuan-lidu", name=STATION_NAME))
        db.session.commit()
        close_connections()
    yield app
    with app.app_context():
        close_connections()


def close_connections() -> None:
    db.session.remove()
    db.engine.dispose()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    with app.app_context():
        close_connections()  # the command's connections; a restore needs none left in this process
    return result


def station_names(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM station ORDER BY id")]


def rename_station(database: Path, name: str) -> None:
    connection = sqlite3.connect(database)
    with connection:
        connection.execute("UPDATE station SET name = ?", (name,))
    connection.close()


def backups_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("scheduler-*.sqlite3"))


# Backup (SQLite) ------------------------------------------------------------------------


def test_backup_writes_a_checked_single_file_with_a_timestamp_under_instance_backups(sqlite_app):
    result = run(sqlite_app, "backup")
    assert result.exit_code == 0, result.output
    (backup,) = backups_in(Path(sqlite_app.instance_path) / "backups")
    assert "checked" in result.output and str(backup) in result.output
    assert sqlite_integrity_problems(backup) == []
    assert station_names(backup) == [STATION_NAME]
    assert oct(backup.stat().st_mode & 0o777) == "0o600", "personal data: owner only"
    assert not Path(f"{backup}-wal").exists(), "a backup is one file, nothing to forget beside it"
    with sqlite3.connect(backup) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_backup_includes_what_is_still_in_the_wal(sqlite_app, tmp_path):
    """A plain copy of the file misses commits that WAL mode has not checkpointed yet."""
    writer = sqlite3.connect(sqlite_app.database_file, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE station SET name = 'renamed while running'")
    try:
        assert Path(f"{sqlite_app.database_file}-wal").stat().st_size > 0
        result = run(sqlite_app, "backup", str(tmp_path / "copy.sqlite3"))
    finally:
        writer.close()
    assert result.exit_code == 0, result.output
    assert station_names(tmp_path / "copy.sqlite3") == ["renamed while running"]


def test_backup_into_a_folder_and_keep_only_the_newest(sqlite_app, tmp_path):
    folder = tmp_path / "offsite"
    folder.mkdir()
    older = [folder / f"scheduler-2026010{day}T020000Z.sqlite3" for day in range(1, 5)]
    for path in older:
        path.write_bytes(b"old")
    unrelated = [folder / "notes.txt", folder / "other-20260101T020000Z.sqlite3"]
    for path in unrelated:
        path.write_text("not a backup of this database")

    result = run(sqlite_app, "backup", str(folder), "--keep", "2")

    assert result.exit_code == 0, result.output
    kept = backups_in(folder)
    assert len(kept) == 2
    assert kept[0] == older[-1], "the newest old backup stays"
    assert sqlite_integrity_problems(kept[1]) == [], "the one just made stays"
    assert all(path.exists() for path in unrelated), "only this database's timestamped backups go"
    assert all(f"Old backup deleted: {path}" in result.output for path in older[:3])


def test_backup_refuses_keep_zero(sqlite_app):
    result = run(sqlite_app, "backup", "--keep", "0")
    assert result.exit_code != 0
    assert not (Path(sqlite_app.instance_path) / "backups").exists()


# Durability (SQLite) -------------------------------------------------------------------


def pragma_on_app_connection(app, pragma: str):
    with app.app_context():
        value = db.session.execute(sa.text(f"PRAGMA {pragma}")).scalar_one()
        close_connections()
    return value


def test_sqlite_commits_survive_a_power_cut_by_default(tmp_path):
    """synchronous=FULL (2): the WAL is synced at every commit, not only at checkpoints."""
    url = f"sqlite:///{tmp_path / 'production.sqlite3'}"
    settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32}
    app = create_app(type("ProductionLike", (Config,), settings))
    assert app.config["SQLITE_SYNCHRONOUS"] == "FULL"
    assert pragma_on_app_connection(app, "synchronous") == 2
    assert pragma_on_app_connection(app, "journal_mode") == "wal"


def test_sqlite_synchronous_can_be_chosen_and_a_typo_stops_the_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'chosen.sqlite3'}"
    app = create_app(
        type("Chosen", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "SQLITE_SYNCHRONOUS": "normal"})
    )
    assert pragma_on_app_connection(app, "synchronous") == 1
    with pytest.raises(RuntimeError, match="SQLITE_SYNCHRONOUS"):
        create_app(
            type("Typo", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "SQLITE_SYNCHRONOUS": "FAST"})
        )


# Restore (SQLite) -----------------------------------------------------------------------


@pytest.fixture
def backup_file(sqlite_app, tmp_path) -> Path:
    path = tmp_path / "backup.sqlite3"
    result = run(sqlite_app, "backup", str(path))
    assert result.exit_code == 0, result.output
    return path


def hold_open(database: Path) -> subprocess.Popen:
    """Another process with the database open and idle, as a gunicorn worker between requests."""
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('PRAGMA journal_mode = WAL')\n"
        "c.execute('SELECT count(*) FROM station').fetchone()\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    return process


def test_restore_refuses_while_another_process_has_the_database_open(sqlite_app, backup_file):
    rename_station(sqlite_app.database_file, "current")
    process = hold_open(sqlite_app.database_file)
    try:
        result = run(sqlite_app, "restore", str(backup_file))
    finally:
        process.stdin.close()
        process.wait(timeout=10)
        process.stdout.close()
    assert result.exit_code != 0
    assert "Stop the app" in result.output and "gunicorn" in result.output
    assert station_names(sqlite_app.database_file) == ["current"], "nothing was replaced"
    assert not list(sqlite_app.database_file.parent.glob("*.replaced-*"))


def crash_while_writing(database: Path) -> None:
    """A writer in WAL mode that is killed with SIGKILL mid-stream, leaving -wal and -shm behind."""
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode = WAL')\n"
        "c.execute('PRAGMA synchronous = NORMAL')\n"
        "c.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "c.execute('CREATE TABLE IF NOT EXISTS crash_log (id INTEGER PRIMARY KEY, note TEXT)')\n"
        "n = 0\n"
        "while True:\n"
        "    c.execute('BEGIN IMMEDIATE')\n"
        "    c.execute('INSERT INTO crash_log (note) VALUES (?)', ('x' * 2000,))\n"
        "    c.execute('UPDATE station SET name = ?', ('written before the crash %d' % n,))\n"
        "    c.execute('COMMIT')\n"
        "    n += 1\n"
        "    if n == 300:\n"
        "        print('ready', flush=True)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(database)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "ready"
    time.sleep(0.05)  # still writing
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL


def test_restore_after_a_crash_left_a_wal_behind(sqlite_app, backup_file):
    database = sqlite_app.database_file
    crash_while_writing(database)
    wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
    assert wal.stat().st_size > 100_000 and shm.exists(), "the crash left a WAL with many transactions"

    result = run(sqlite_app, "restore", str(backup_file))

    assert result.exit_code == 0, result.output
    assert sqlite_integrity_problems(database) == []
    assert station_names(database) == [STATION_NAME], "the backup's content, not the crashed run's"
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    assert "crash_log" not in tables
    # The replaced database is kept aside, readable, with what its WAL held.
    (aside,) = database.parent.glob("scheduler.sqlite3.replaced-*[0-9]Z")
    assert f"kept at {aside}" in result.output
    assert Path(f"{aside}-wal").exists()
    assert sqlite_integrity_problems(aside) == []
    assert station_names(aside)[0].startswith("written before the crash")
    # And the app works on the restored file.
    with sqlite_app.app_context():
        assert db.session.scalar(sa.select(Station.name)) == STATION_NAME
        close_connections()


def test_restore_refuses_a_damaged_backup_and_leaves_the_database_alone(sqlite_app, backup_file):
    with sqlite3.connect(backup_file) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        (root,) = connection.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'station'").fetchone()
    connection.close()
    data = bytearray(backup_file.read_bytes())
    data[(root - 1) * page_size] = 0xFF  # not a b-tree page type: "btreeInitPage() returns error code 11"
    backup_file.write_bytes(bytes(data))
    rename_station(sqlite_app.database_file, "current")

    result = run(sqlite_app, "restore", str(backup_file))

    assert result.exit_code != 0
    assert "integrity check" in result.output
    assert station_names(sqlite_app.database_file) == ["current"]
    assert not list(sqlite_app.database_file.parent.glob("*.replaced-*"))


def test_restore_refuses_a_file_that_is_not_a_database(sqlite_app, tmp_path):
    not_a_backup = tmp_path / "notes.sqlite3"
    not_a_backup.write_text("hello")
    result = run(sqlite_app, "restore", str(not_a_backup))
    assert result.exit_code != 0 and "integrity check" in result.output
    assert station_names(sqlite_app.database_file) == [STATION_NAME]


# PostgreSQL -----------------------------------------------------------------------------

postgres_only = pytest.mark.postgresql


@pytest.fixture
def pg_app(tmp_path):
    """An app on a PostgreSQL database of its own.

    A restore refuses while anyone else is connected, and the rest of the run keeps
    connections open to the shared test database (e.g. the real-size compound's).
    """
    url = sa.make_url(normalise_database_url(POSTGRES_URL))
    name = f"{url.database}_restore_{os.getpid()}"
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    own_url = url.set(database=name).render_as_string(hide_password=False)
    app = create_app(type("RestoreTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": own_url}))
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.create_all()
        db.session.add(Station(slug="haiyuan-lidu", name=STATION_NAME))
        db.session.commit()
        close_connections()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def pg_station_names(app) -> list[str]:
    with app.app_context():
        names = list(db.session.scalars(sa.select(Station.name).order_by(Station.id)))
        close_connections()
    return names


@postgres_only
def test_postgresql_backup_and_restore(pg_app):
    result = run(pg_app, "backup")
    assert result.exit_code == 0, result.output
    (dump,) = (Path(pg_app.instance_path) / "backups").glob("*-*T*Z.dump")
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
    assert "TABLE DATA public station" in listing.stdout

    with pg_app.app_context():
        db.session.execute(sa.update(Station).values(name="changed after the backup"))
        db.session.add(Station(slug="later", name="added after the backup"))
        db.session.commit()
        close_connections()

    result = run(pg_app, "restore", str(dump))

    assert result.exit_code == 0, result.output
    assert pg_station_names(pg_app) == [STATION_NAME]
    (aside,) = (Path(pg_app.instance_path) / "backups").glob("*-replaced-*.dump")
    assert f"kept at {aside}" in result.output
    aside_listing = subprocess.run(["pg_restore", "--list", str(aside)], capture_output=True, text=True)
    assert aside_listing.returncode == 0


@postgres_only
def test_postgresql_restore_refuses_while_others_are_connected(pg_app):
    result = run(pg_app, "backup")
    (dump,) = (Path(pg_app.instance_path) / "backups").glob("*.dump")
    engine = sa.create_engine(sa.make_url(pg_app.config["SQLALCHEMY_DATABASE_URI"]))
    with engine.connect() as other:
        pid = other.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        result = run(pg_app, "restore", str(dump))
    engine.dispose()
    assert result.exit_code != 0
    assert f"pid {pid}" in result.output and "Stop the app" in result.output
    assert not list((Path(pg_app.instance_path) / "backups").glob("*-replaced-*"))


@postgres_only
def test_postgresql_restore_refuses_a_damaged_dump(pg_app, tmp_path):
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(b"PGDMP" + b"\x00" * 50)
    result = run(pg_app, "restore", str(damaged))
    assert result.exit_code != 0 and "dump" in result.output
    assert pg_station_names(pg_app) == [STATION_NAME]


def test_restore_onto_a_new_machine_without_a_database(backup_file, tmp_path):
    database = tmp_path / "new-machine" / "instance" / "scheduler.sqlite3"
    app = create_app(type("NewMachine", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}))
    app.instance_path = str(database.parent)

    result = run(app, "restore", str(backup_file))

    assert result.exit_code == 0, result.output
    assert station_names(database) == [STATION_NAME]
    assert "kept at" not in result.output, "nothing to put aside"
