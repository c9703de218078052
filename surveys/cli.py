"""The `trustsurvey` console script: Flask's commands plus the project's own."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():
    from surveys import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """trustsurvey: anonymous team-trust surveys."""
