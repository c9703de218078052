"""Schema changes go through migrations: the migrated schema equals the models, data stays."""

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from surveys.db import MIGRATIONS, db


def test_migrations_produce_exactly_the_models_schema(make_app, backend):
    app = make_app(backend, run_migrations=True)
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_0002_keeps_every_member_and_allows_two_of_one_name(make_app, backend, capfd):
    app = make_app(backend, run_migrations=True)
    with app.app_context():
        flask_migrate.downgrade(directory=MIGRATIONS, revision="0001")
        db.session.execute(
            sa.text("INSERT INTO team (id, name, archived) VALUES (1, 'East', false)")
        )
        db.session.execute(
            sa.text(
                "INSERT INTO member (id, team_id, name, email, active) VALUES "
                "(1, 1, '王伟', 'wang.wei@example.org', true), (2, 1, 'Ann', NULL, false)"
            )
        )
        # SQLite copies the member table to drop the constraint: links to it must survive.
        db.session.execute(
            sa.text(
                "INSERT INTO wave (id, name, instrument_key, instrument_version, opens_at, "
                "closes_at, k) VALUES (1, 'W', 'pulse', '1.0', '2026-01-01', '2026-02-01', 5)"
            )
        )
        db.session.execute(
            sa.text(
                "INSERT INTO invitation (id, wave_id, team_id, member_id, nonce, token_hash, used) "
                "VALUES (1, 1, 1, 1, 'n', 'h', false)"
            )
        )
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.text(
                    "INSERT INTO member (id, team_id, name, active) VALUES (3, 1, '王伟', true)"
                )
            )
        db.session.rollback()
        flask_migrate.upgrade(directory=MIGRATIONS)
        rows = db.session.execute(sa.text("SELECT id, team_id, name, email, active FROM member"))
        assert sorted(tuple(r) for r in rows) == [
            (1, 1, "王伟", "wang.wei@example.org", True),
            (2, 1, "Ann", None, False),
        ]
        assert db.session.execute(sa.text("SELECT member_id FROM invitation")).scalar() == 1
        db.session.execute(
            sa.text(
                "INSERT INTO member (id, team_id, name, email, active) "
                "VALUES (3, 1, '王伟', 'wei.wang@example.org', true)"
            )
        )
        db.session.commit()
        # Going back would have to drop or merge one of them: refused, naming who.
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits 1
            flask_migrate.downgrade(directory=MIGRATIONS, revision="0001")
        err = capfd.readouterr().err
        assert "several members of one name" in err and "East: 王伟" in err
        db.session.rollback()
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM member")) == 3
