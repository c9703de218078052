"""surveys: the Flask application of the team-trust survey."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from surveys import config

# The largest id an integer column holds on every supported database (PostgreSQL's integer).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in URLs: a number too large for any row id is not found (404), not a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _static_folder() -> str:
    """surveys/static when installed from a wheel, the top-level static/ in a source checkout."""
    installed = Path(__file__).parent / "static"
    return str(installed if installed.is_dir() else Path(__file__).parent.parent / "static")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, database, extensions, blueprints, commands."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TRUSTSURVEY_INSTANCE") or None,
        instance_relative_config=True,
        static_folder=_static_folder(),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.defaults(app.instance_path))
    app.url_map.converters["int"] = IdConverter
    if test_config is not None:
        app.config.from_mapping(test_config)

    from surveys import access, closer, commands, db, errors, i18n, instruments, security
    from surveys.models import WaveStatus

    # Read and check every instrument file now, not on a request: a bad file is refused
    # and logged at start-up, and no page depends on it loading.
    instruments.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    access.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    closer.init_app(app)
    app.jinja_env.globals["WaveStatus"] = WaveStatus

    from surveys import admin, auth, facilitate, respond

    app.register_blueprint(respond.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(facilitate.bp)
    app.register_blueprint(admin.bp)

    commands.init_app(app)
    return app
