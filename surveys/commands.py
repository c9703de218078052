"""App commands (thin wrappers over plain functions): demo, users, waves, instrument checks."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _require_schema() -> None:
    """Stop with one line, not a "no such table" traceback, before the schema is created.

    Upgrading here instead would change a production schema from a cron job, unannounced
    and without a backup, possibly while a deployment upgrades it too.
    """
    from surveys import db as database

    problem = database.schema_problem()
    if problem is not None:
        raise click.ClickException(f"{problem}: run `trustsurvey db upgrade` first")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to serve on.")
@click.option("--no-serve", is_flag=True, help="Seed and print the links, then exit.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool):
    """Create or reuse a demo database, print logins and links, and serve."""
    from surveys import db as database
    from surveys.tools import demo

    database.upgrade()
    info = demo.seed_if_empty()
    # The printed links are for other people's browsers: the public address when one is set.
    public = current_app.config.get("BASE_URL")
    base = public or demo.link_base(host, port)
    click.echo(demo.describe(info, base))
    if demo.listens_everywhere(host) and not public:
        click.echo(
            "\nServing on every address of this machine. From another device, put this"
            " machine's address in place of 127.0.0.1 in the links."
        )
    if not no_serve:
        # app.run() refuses to serve inside a Flask CLI command; Werkzeug's server does not.
        from werkzeug.serving import run_simple

        run_simple(host, port, current_app._get_current_object(), threaded=True)


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, help="admin, facilitator or researcher.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email: str, role: str, name: str, password_stdin: bool):
    """Create a user (the first admin, for instance); asks for the password twice."""
    from surveys.services import accounts

    _require_schema()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, password, role, name=name)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("close-due-waves")
@with_appcontext
def close_due_waves_command():
    """Close every wave past its close date and store its results (run it from cron)."""
    from surveys.services import waves

    _require_schema()
    closed, failed = waves.close_due()
    for wave in closed:
        click.echo(f"Closed wave {wave.id} ({wave.name}).")
    for wave, error in failed:
        click.echo(f"Could not close wave {wave.id} ({wave.name}): {error}", err=True)
    click.echo(f"{len(closed)} wave(s) closed.")
    if failed:
        raise SystemExit(1)


@click.command("check-instrument")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def check_instrument_command(files: tuple[Path, ...]):
    """Check instrument files as the app would load them; exit status 2 if any is refused.

    Each file is checked against the instruments this app loaded and the files before it, so
    a copy that keeps a key and version already in use is refused here as at start-up.
    """
    from surveys import instruments

    shipped, own = instruments.folders(current_app)
    read_at_start = {shipped.resolve(), own.resolve()}
    results = instruments.check_files(files, instruments.current())
    for path, inst, refusal in results:
        if refusal is not None:
            click.echo(f"Error: {refusal.message()}", err=True)
            continue
        click.echo(
            f"OK: {path}: instrument {inst.key} version {inst.version}, "
            f"{len(inst.scales)} scales, {len(inst.items)} items."
        )
        if path.resolve().parent not in read_at_start:
            click.echo(f"To offer it for new waves, copy it to {own}/ and restart the app.")
    if any(refusal is not None for _path, _inst, refusal in results):
        sys.exit(2)


def init_app(app):
    app.cli.add_command(demo_command)
    app.cli.add_command(close_due_waves_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(check_instrument_command)
