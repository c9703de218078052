"""Shared fixtures: an app on a fresh SQLite file (or a real PostgreSQL server), its clients."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from surveys import create_app
from surveys import db as database
from surveys.db import db

REQUIRE_SERVICES = os.environ.get("TRUSTSURVEY_REQUIRE_SERVICES") == "1"


def _config(instance, url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Tests close waves themselves; a background closer would race them.
        "CLOSE_DUE_INTERVAL": 0,
    }
    config.update(overrides)
    return config


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def postgres_url() -> str | None:
    """The test server's URL (set by scripts/test), in SQLAlchemy's psycopg form."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail("TEST_DATABASE_URL is not set but scripts/test requires PostgreSQL")
        return None
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Build an app on a fresh database; ``backend`` is 'sqlite' or 'postgres'."""
    monkeypatch.setenv("TRUSTSURVEY_INSTANCE", str(tmp_path / "instance"))
    made = []

    def make(backend: str = "sqlite", **overrides):
        if backend == "postgres":
            url = postgres_url()
            if url is None:
                pytest.skip("TEST_DATABASE_URL is not set (scripts/test starts a server)")
            _reset_postgres(url)
        else:
            url = "sqlite:///" + str(tmp_path / f"db{len(made)}.sqlite3")
        app = create_app(_config(tmp_path, url, **overrides))
        with app.app_context():
            database.upgrade()
        made.append(app)
        return app

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
