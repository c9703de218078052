"""App commands (thin wrappers over plain functions): demo, create-user."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to serve on.")
@click.option("--no-serve", is_flag=True, help="Seed and print the links, then exit.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool):
    """Create or reuse a demo database, print logins and links, and serve."""
    from surveys import db as database
    from surveys import demo

    database.upgrade()
    info = demo.seed_if_empty()
    base = f"http://{host}:{port}"
    click.echo(demo.describe(info, base))
    if not no_serve:
        current_app.run(host=host, port=port, debug=False, use_reloader=False)


def init_app(app):
    app.cli.add_command(demo_command)
