"""The database handle and migrations; both register on the app with init_app."""

from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = str(Path(__file__).parent / "migrations")

# Constraint names as PostgreSQL gives them when none is set, which is how the first
# migrations created them. Naming every constraint lets a migration drop or alter one by
# the same name on every database (SQLite's batch mode needs a name too), instead of
# hard-coding one database's choice.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS)


# Seconds a SQLite connection waits for another's write lock before "database is locked".
# Closing a wave rewrites the file (VACUUM) and a roster import locks it while it runs;
# a respondent's submission waits for them rather than fail after sqlite3's default 5 s.
SQLITE_BUSY_TIMEOUT = 30


def init_app(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    # Runs before Flask-SQLAlchemy's own teardown (Flask calls them in reverse order).
    app.teardown_appcontext(_end_session)


def _end_session(exc: BaseException | None) -> None:
    """End the request's session without failing the request that is already answered.

    Closing rolls back an open transaction; when the database dropped the connection in the
    meantime (a restart), that ROLLBACK fails and the reply sent so far would turn into a 500.
    The connection is thrown away instead, and the pool opens a new one next time.
    """
    from sqlalchemy.exc import DBAPIError

    try:
        db.session.close()
    except DBAPIError:
        db.session().invalidate()


def statements_commit_themselves() -> None:
    """On PostgreSQL, run the rest of this request's session without BEGIN and COMMIT.

    For a request whose reads need no common snapshot (PostgreSQL's READ COMMITTED gives each
    statement its own anyway) and whose one write is a single statement, such as a
    respondent's: an open survey page then costs one round trip to the database after the
    connection check instead of three, and a stored answer two instead of four. Call it
    before the session's first statement. Elsewhere (SQLite) a no-op.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


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
