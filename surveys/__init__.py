"""surveys: the Flask application of the team-trust survey."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

# Flask and the app's modules are imported inside create_app, not here: `trustsurvey analyze`
# imports this package on its way to surveys.cli and needs none of them (a third of a second).
if TYPE_CHECKING:
    from flask import Flask


def _static_folder() -> str:
    """surveys/static when installed from a wheel, the top-level static/ in a source checkout."""
    installed = Path(__file__).parent / "static"
    return str(installed if installed.is_dir() else Path(__file__).parent.parent / "static")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, database, extensions, blueprints, commands."""
    from flask import Flask

    from surveys import config
    from surveys.routing import IdConverter

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

    from surveys import access, closer, commands, db, errors, i18n, instruments, playbooks, security
    from surveys.models import WaveStatus

    # Read and check every instrument file now, not on a request: a bad file is refused
    # and logged at start-up, and no page depends on it loading.
    instruments.init_app(app)
    playbooks.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    access.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    closer.init_app(app)
    app.jinja_env.globals["WaveStatus"] = WaveStatus

    from surveys.services import organisation

    # Every date on a page is shown in the organisation's zone, named beside it.
    app.jinja_env.filters["local_time"] = organisation.local_time_text
    app.jinja_env.filters["local_date"] = organisation.local_date_text
    app.jinja_env.globals["time_zone_name"] = organisation.time_zone_name

    from surveys import act, admin, auth, export, facilitate, respond

    app.register_blueprint(respond.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(facilitate.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(act.bp)
    app.register_blueprint(export.bp)

    commands.init_app(app)
    return app
