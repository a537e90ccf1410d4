"""Two compounds built once per test run, in databases of their own, for the crawl tests.

Every other test starts from empty tables (``empty_tables`` in ``tests/conftest.py``), so
a data set meant to outlive one test cannot live in the shared test database. Each
compound gets its own database beside it, built on first use and dropped at the end:

- SQLite: its own file in the run's temporary folder;
- PostgreSQL (``TEST_DATABASE_URL``): its own schema in the same database (``search_path``
  set on every connection), so no other database has to be created or granted; the schema
  name carries the xdist worker's id, so parallel workers do not meet.

The crawl only reads (a few pages log their viewing), so one build serves every test of
the run. ``compound_real`` is the issue's size; ``compound_small`` the same kinds of
records, fewer, to show that a page's query count does not grow with the data.
"""

import time
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from scheduler import create_app
from scheduler.config import TestConfig
from scheduler.extensions import db
from tests.compound import Compound, Size, build_compound
from tests.conftest import TEST_PASSWORD, CsrfClient, separate_database


@dataclass
class CompoundSite:
    app: Flask
    compound: Compound
    seconds_to_build: float


def compound_site(name: str, size: Size, database_url: str, tmp_path_factory):
    url, options = separate_database(name, database_url, tmp_path_factory)
    schema = options.pop("schema", None)
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {**TestConfig.SQLALCHEMY_ENGINE_OPTIONS, **options},
    }
    app = create_app(type(f"{name}Config", (TestConfig,), settings))
    app.test_client_class = CsrfClient
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        compound = build_compound(size)
        db.session.remove()
    site = CompoundSite(app, compound, time.perf_counter() - started)
    yield site
    with app.app_context():
        db.session.remove()
        if schema:
            with db.engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        db.engine.dispose()


@pytest.fixture(scope="session")
def compound_real(database_url, tmp_path_factory):
    yield from compound_site("compound_real", Size.REAL, database_url, tmp_path_factory)


@pytest.fixture(scope="session")
def compound_small(database_url, tmp_path_factory):
    yield from compound_site("compound_small", Size.SMALL, database_url, tmp_path_factory)


@pytest.fixture
def tiny_compound(app) -> Compound:
    """A few of every kind of record in the test's own (emptied) database, for tests that post."""
    with app.app_context():
        return build_compound(Size.TINY)


@pytest.fixture
def sign_in_as(app, tiny_compound):
    """``sign_in_as("admin")``: a client of the tiny compound signed in as that role."""

    def sign_in(role: str):
        client = app.test_client()
        if role != "anonymous":
            username = tiny_compound.usernames[role]
            response = client.post("/auth/login", data={"username": username, "password": TEST_PASSWORD})
            assert response.status_code == 302
        return client

    return sign_in
