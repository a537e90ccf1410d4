"""Command-line tasks: demo data, stations and accounts."""

import re

import sqlalchemy as sa

from scheduler.demo import DEFAULT_DEMO_PASSWORD, DEMO_STATION_SLUG
from scheduler.extensions import db
from scheduler.models import Building, Kind, Role, Station, User
from tests.forms import submit_form


def table_counts(app) -> dict:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def test_seed_demo_builds_the_community_of_the_article(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "secretary" in result.output and DEFAULT_DEMO_PASSWORD in result.output
    with app.app_context():
        station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
        assert station.name == "海源丽都小区党群驿站" and station.community == "丽都社区"
        assert len(station.buildings) == 21
        users = db.session.scalars(sa.select(User).where(User.station_id == station.id)).all()
        heads = [u for u in users if u.kind == Kind.BUILDING_HEAD]
        assert len(heads) == 21 and len({u.building_id for u in heads}) == 21
        assert sum(u.kind == Kind.PROPERTY_STAFF for u in users) == 10
        assert sum(u.kind == Kind.RESIDENT_VOLUNTEER for u in users) == 15
        assert {u.role for u in users} == {Role.ADMIN, Role.COORDINATOR, Role.VOLUNTEER}


def test_seed_demo_twice_changes_nothing(app, demo, runner):
    before = table_counts(app)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert table_counts(app) == before


def test_seed_demo_if_empty_leaves_an_existing_database_alone(app, runner, station):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "secretary" in result.output, "the logins are printed anyway"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Station)) == 1


def test_seed_demo_refuses_a_weak_password(runner):
    result = runner.invoke(args=["seed-demo", "--password", "123456"])
    assert result.exit_code != 0


def test_demo_logins_work(app, runner):
    runner.invoke(args=["seed-demo"])
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "secretary", "password": DEFAULT_DEMO_PASSWORD})
    assert response.status_code == 302


def test_create_station_and_user_from_the_command_line(app, runner):
    result = runner.invoke(args=["create-station", "xingfuli", "幸福里驿站", "--buildings", "4"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["create-user", "Zhao.Admin", "--role", "admin", "--station", "xingfuli"],
        input="long-enough-secret\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "zhao.admin"))
        assert user.role == Role.ADMIN and user.check_password("long-enough-secret")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Building)) == 4


def test_create_user_refuses_a_common_password_and_a_taken_name(runner, station, make_user):
    result = runner.invoke(args=["create-user", "newbie", "--role", "volunteer"], input="password\n")
    assert result.exit_code != 0 and "常见" in result.output
    make_user(Role.VOLUNTEER, username="taken")
    result = runner.invoke(args=["create-user", "taken", "--role", "volunteer"], input="good-long-secret\n")
    assert result.exit_code != 0 and "已被使用" in result.output


def test_superadmin_needs_no_station(app, runner):
    result = runner.invoke(args=["create-user", "street", "--role", "superadmin"], input="good-long-secret\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User.station_id).where(User.username == "street")) is None


def test_a_new_stations_first_admin_gets_an_invitation_link_from_the_command_line(app, runner):
    runner.invoke(args=["create-station", "xingfuli", "幸福里驿站", "--buildings", "4"])
    result = runner.invoke(
        args=[
            "create-user",
            "liu.secretary",
            "--role",
            "admin",
            "--station",
            "xingfuli",
            "--name",
            "刘书记",
            "--invite",
        ]
    )
    assert result.exit_code == 0, result.output
    link = re.search(r"http://station\.test(/people/invite/[\w-]+)", result.output).group(1)
    assert "72 hours" in result.output
    new_admin = app.test_client()
    response = submit_form(
        new_admin, link, {"new_password": "morning-tea-2026", "confirm_password": "morning-tea-2026"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    assert new_admin.get("/people/").status_code == 200, "signed in as the station's admin"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "liu.secretary"))
        assert (user.role, user.active, user.station.slug) == (Role.ADMIN, True, "xingfuli")
