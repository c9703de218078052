"""Shared fixtures: an app on an empty, migrated database (SQLite or PostgreSQL), its clients."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from surveys import create_app
from surveys import db as database
from surveys.db import MIGRATIONS, db
from tests.helpers import FAST_PASSWORD_HASH

REQUIRE_SERVICES = os.environ.get("TRUSTSURVEY_REQUIRE_SERVICES") == "1"
HEADS = set(ScriptDirectory(MIGRATIONS).get_heads())


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """Collect only test modules here, not the helpers they import.

    --doctest-modules (for trust/'s examples) would otherwise import every module in tests/
    by its file name, and ``helpers.py`` in two folders would clash; the tests import them
    as ``tests.helpers`` and ``tests.trust.helpers``.
    """
    name = collection_path.name
    if collection_path.suffix == ".py" and not name.startswith("test_"):
        return name not in ("conftest.py", "__init__.py")
    return None


def _config(url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Tests close waves themselves; a background closer would race them.
        "CLOSE_DUE_INTERVAL": 0,
        **FAST_PASSWORD_HASH,
    }
    config.update(overrides)
    return config


def postgres_url() -> str | None:
    """The test server's URL (set by scripts/test), in SQLAlchemy's psycopg form."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail("TEST_DATABASE_URL is not set but scripts/test requires PostgreSQL")
        return None
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file with every migration applied, made once; each app starts from a copy."""
    folder = tmp_path_factory.mktemp("migrated")
    path = folder / "migrated.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRUSTSURVEY_INSTANCE", str(folder / "instance"))
        app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        database.upgrade()
        db.engine.dispose()
    return path


class MigratedPostgres:
    """The test server's database: migrated once, then emptied for each test that uses it.

    Emptying (TRUNCATE) is used only while the schema is the one the session migrated: the
    newest revision with the same tables. A test that downgraded, or stopped half-way through
    a migration, leaves something else, and the next test gets a new schema and a real upgrade.
    """

    def __init__(self, url: str):
        self.url = url
        self.tables: set[str] | None = None  # after the session's own upgrade

    def _state(self, conn) -> tuple[set[str], set[str]]:
        tables = set(sa.inspect(conn).get_table_names())
        revisions = set()
        if "alembic_version" in tables:
            revisions = set(
                conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            )
        return tables, revisions

    def prepare(self, make, run_migrations: bool):
        """An app on an empty, migrated database; ``make(url)`` builds the app."""
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                tables, revisions = self._state(conn)
                if not run_migrations and tables == self.tables and revisions == HEADS:
                    emptied = ", ".join(f'"{t}"' for t in sorted(tables - {"alembic_version"}))
                    conn.execute(sa.text(f"TRUNCATE {emptied} RESTART IDENTITY CASCADE"))
                    return make(self.url)
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                self.tables = None
        finally:
            engine.dispose()
        app = make(self.url)
        with app.app_context():
            database.upgrade()
            if not run_migrations:
                with db.engine.connect() as conn:
                    self.tables = self._state(conn)[0]
        return app


@pytest.fixture(scope="session")
def migrated_postgres() -> MigratedPostgres | None:
    url = postgres_url()
    return None if url is None else MigratedPostgres(url)


@pytest.fixture
def make_app(tmp_path, monkeypatch, migrated_sqlite, migrated_postgres):
    """Build an app on an empty database with every migration applied.

    ``backend`` is 'sqlite' or 'postgres'; other keywords are config overrides. Each SQLite app
    gets a copy of a file migrated once per session, and PostgreSQL is emptied between tests;
    ``run_migrations=True`` runs the real upgrade on a new schema instead (migration tests).
    """
    monkeypatch.setenv("TRUSTSURVEY_INSTANCE", str(tmp_path / "instance"))
    made = []

    def make(backend: str = "sqlite", run_migrations: bool = False, **overrides):
        def build(url: str):
            made.append(create_app(_config(url, **overrides)))
            return made[-1]

        if backend == "postgres":
            if migrated_postgres is None:
                pytest.skip("TEST_DATABASE_URL is not set (scripts/test starts a server)")
            return migrated_postgres.prepare(build, run_migrations)
        path = tmp_path / f"db{len(made)}.sqlite3"
        if run_migrations:
            app = build(f"sqlite:///{path}")
            with app.app_context():
                database.upgrade()
            return app
        shutil.copyfile(migrated_sqlite, path)
        return build(f"sqlite:///{path}")

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request):
    """Run a test on both databases."""
    return request.param


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
