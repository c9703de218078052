"""The database handle and migrations; both register on the app with init_app."""

from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = str(Path(__file__).parent / "migrations")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS)


def init_app(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)


def upgrade():
    """Bring the schema to the newest migration (inside an app context)."""
    from flask_migrate import upgrade as alembic_upgrade

    alembic_upgrade(directory=MIGRATIONS)


def schema_problem() -> str | None:
    """Why the database schema is not the newest migration, or None (inside an app context)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    newest = set(ScriptDirectory(MIGRATIONS).get_heads())
    if not current:
        return "the database has no tables yet"
    if current != newest:
        return (
            f"the database schema is at migration {', '.join(sorted(current))}, "
            f"this version of trustsurvey needs {', '.join(sorted(newest))}"
        )
    return None
