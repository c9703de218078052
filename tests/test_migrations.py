"""Schema changes go through migrations: the migrated schema equals the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from surveys.db import db


def test_migrations_produce_exactly_the_models_schema(make_app, backend):
    app = make_app(backend)
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
