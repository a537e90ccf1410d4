"""GET and HEAD read only, in deferred transactions that share the database; a view that writes
on GET says so with ``@writes_on_get`` and locks up front like a POST. An undeclared write fails."""

import pytest
import sqlalchemy as sa

from scheduler.database import UndeclaredWriteOnGet, writes_on_get
from scheduler.extensions import db
from scheduler.models import Station


@pytest.fixture
def begins():
    """``begins(app)``: the BEGIN statements the app's engine sends, a list that fills while requests run."""
    listening = []

    def listen(app) -> list[str]:
        seen: list[str] = []
        with app.app_context():
            engine = db.engine

        def remember(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("BEGIN"):
                seen.append(statement)

        sa.event.listen(engine, "before_cursor_execute", remember)
        listening.append((engine, remember))
        return seen

    yield listen
    for engine, remember in listening:  # the default app outlives the test
        sa.event.remove(engine, "before_cursor_execute", remember)


@pytest.fixture
def writing_app(app_factory):
    """An app with GET views that rename a station: one declared, one not, one in raw SQL."""
    app = app_factory()

    def rename():
        station = db.session.scalar(sa.select(Station))
        station.name = "改过的名字"
        db.session.commit()
        return "renamed"

    def rename_in_sql():
        db.session.execute(sa.text("UPDATE station SET name = 'SQL'"))
        db.session.commit()
        return "renamed"

    def bulk_rename():
        db.session.execute(sa.update(Station).values(name="批量"))
        db.session.commit()
        return "renamed"

    app.add_url_rule("/test/undeclared", "undeclared", rename)
    app.add_url_rule("/test/declared", "declared", writes_on_get(lambda: rename()))
    app.add_url_rule("/test/sql", "sql", rename_in_sql)
    app.add_url_rule("/test/bulk", "bulk", bulk_rename)
    app.add_url_rule("/test/post", "post", rename, methods=["POST"])
    with app.app_context():
        db.session.add(Station(slug="s", name="驿站"))
        db.session.commit()
    return app


def station_name(app) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Station.name))


@pytest.mark.parametrize("path", ["/test/undeclared", "/test/bulk", "/test/sql"])
def test_an_undeclared_write_on_get_fails_loudly(writing_app, path):
    with pytest.raises(UndeclaredWriteOnGet, match="@writes_on_get"):
        writing_app.test_client().get(path)
    assert station_name(writing_app) == "驿站"


def test_a_declared_write_on_get_and_a_post_write(writing_app, begins):
    seen = begins(writing_app)
    assert writing_app.test_client().get("/test/declared").status_code == 200
    assert station_name(writing_app) == "改过的名字"
    assert writing_app.test_client().post("/test/post").status_code == 200
    if writing_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert seen[:1] == ["BEGIN IMMEDIATE"] and seen[-1] == "BEGIN IMMEDIATE"


def test_reads_begin_deferred_and_writes_lock_up_front(app, client, station, volunteer_client, begins):
    seen = begins(app)
    assert volunteer_client.get("/me").status_code == 200
    assert client.get("/s/haiyuan-lidu/").status_code == 200
    reads = list(seen)
    seen.clear()
    assert client.post("/auth/login", data={"username": "nobody", "password": "wrong"}).status_code == 422
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):  # PostgreSQL has no BEGIN IMMEDIATE
        assert reads and set(reads) == {"BEGIN"}
        assert seen and set(seen) == {"BEGIN IMMEDIATE"}
    else:
        assert "BEGIN IMMEDIATE" not in reads + seen


def test_a_write_past_the_session_on_get_is_refused_by_sqlite(writing_app):
    """Below the ORM guards, SQLite's query_only refuses a write on a read-only connection."""

    def write_on_the_connection():
        db.session.connection().exec_driver_sql("UPDATE station SET name = 'SQL'")
        return "renamed"

    writing_app.add_url_rule("/test/connection", "connection", write_on_the_connection)
    sqlite = writing_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if sqlite:
        with pytest.raises(sa.exc.OperationalError, match="readonly"):
            writing_app.test_client().get("/test/connection")
        assert station_name(writing_app) == "驿站"
    else:  # PostgreSQL: the guards above are the rule there; a write on the raw connection is possible
        assert writing_app.test_client().get("/test/connection").status_code == 200


def test_the_beneficiary_record_declares_its_access_log(app):
    from scheduler.visits import routes

    assert routes.record.writes_on_get and routes.edit_beneficiary.writes_on_get
