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


@click.command("send-mail")
@with_appcontext
def send_mail_command():
    """Continue every interrupted or deferred email batch of open waves (run it from cron)."""
    from surveys.services import delivery

    _require_schema()
    if not delivery.configured():
        raise click.ClickException(
            "email is not set up: set TRUSTSURVEY_SMTP_HOST, TRUSTSURVEY_MAIL_FROM and "
            "TRUSTSURVEY_BASE_URL"
        )
    failed = False
    for mailing, error in delivery.resume_all():
        if error is not None:
            failed = True
            click.echo(f"Wave {mailing.wave_id}: mailing {mailing.id} stopped: {error}", err=True)
        else:
            click.echo(
                f"Wave {mailing.wave_id}: mailing {mailing.id} ({mailing.kind}): "
                f"{mailing.failed} not delivered, {mailing.unknown} interrupted."
            )
    if failed:
        raise SystemExit(1)


@click.command("read-bounces")
@click.option(
    "--mailbox",
    "path",
    type=click.Path(path_type=Path),
    help="Maildir (a folder) or mbox (a file); default: TRUSTSURVEY_BOUNCE_MAILBOX.",
)
@click.option("--keep", is_flag=True, help="Leave the reports read in the mailbox.")
@with_appcontext
def read_bounces_command(path: Path | None, keep: bool):
    """Read delivery status notifications (bounces) from the return path's mailbox (a Maildir,
    an mbox or an IMAP folder) and record each email that did not arrive (run it from cron)."""
    import imaplib

    from surveys.services import bounces

    _require_schema()
    config = current_app.config
    path = path or (Path(p) if (p := config.get("BOUNCE_MAILBOX")) else None)
    if path is None and not config.get("BOUNCE_IMAP_HOST"):
        raise click.ClickException(
            "no mailbox: give --mailbox, or set TRUSTSURVEY_BOUNCE_MAILBOX or "
            "TRUSTSURVEY_BOUNCE_IMAP_HOST"
        )
    try:
        if path is not None:
            outcomes = bounces.read_mailbox(path, keep=keep)
        else:
            outcomes = bounces.read_imap(config, keep=keep)
    except (ValueError, OSError, imaplib.IMAP4.error) as error:
        where = "" if path else f"{config['BOUNCE_IMAP_HOST']}:{config['BOUNCE_IMAP_PORT']}: "
        raise click.ClickException(f"{where}{error}") from None
    out = bounces.Outcome
    click.echo(
        f"{outcomes[out.BOUNCED]} bounces recorded, {outcomes[out.KNOWN]} already known, "
        f"{outcomes[out.FORGOTTEN]} of no current email (closed waves), "
        f"{outcomes[out.NOT_FAILED]} delays or other reports; left alone: "
        f"{outcomes[out.UNMATCHED]} reports not of this product, "
        f"{outcomes[out.NOT_A_REPORT]} other messages."
    )


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
            use = "for imports" if instruments.has_continuous_scale(inst) else "for new waves"
            click.echo(f"To offer it {use}, copy it to {own}/ and restart the app.")
        if instruments.has_continuous_scale(inst):
            click.echo(
                "It has a continuous scale (any number in its range), which a survey page "
                "cannot ask: it serves imports (trustsurvey import) and analyze only."
            )
    if any(refusal is not None for _path, _inst, refusal in results):
        sys.exit(2)


@click.command("check-playbook")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def check_playbook_command(files: tuple[Path, ...]):
    """Check playbook files as the app would load them; exit status 2 if any is refused."""
    from surveys import playbooks

    _shipped, own = playbooks.folders(current_app)
    refused = False
    for path in files:
        try:
            playbook = playbooks.load_playbook(path)
        except playbooks.PlaybookError as error:
            click.echo(f"Error: {error}", err=True)
            refused = True
            continue
        replaces = " (replaces the loaded one of that key)" if playbooks.get(playbook.key) else ""
        click.echo(f"OK: {path}: playbook {playbook.key}{replaces}.")
        if path.resolve().parent != own.resolve():
            click.echo(f"To use it, copy it to {own}/ and restart the app.")
    if refused:
        sys.exit(2)


@click.command("export")
@click.argument("wave_ids", nargs=-1, type=int)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Folder to write the files into; with --zip, the zip file to write.",
)
@click.option("--comments", is_flag=True, help="Add comments.csv (teams of at least k only).")
@click.option("--zip", "as_zip", is_flag=True, help="Write one zip file instead of a folder.")
@click.option(
    "--include-small-teams",
    is_flag=True,
    help="Also export teams with fewer than k responses (the codebook says so).",
)
@click.option("--team-names", is_flag=True, help="Label teams by name instead of by code.")
@click.option("--list", "list_waves", is_flag=True, help="List the waves: id, status, name.")
@with_appcontext
def export_command(wave_ids, output, comments, as_zip, include_small_teams, team_names, list_waves):
    """Export closed waves for research: CSV files, codebook, instrument, R and SPSS scripts.

    Whoever runs this command has the server and its database, so it may do what an admin
    may; the page gives researchers the same files.
    """
    from surveys.services import export

    _require_schema()
    if list_waves:
        for wave in export.all_waves():
            click.echo(f"{wave.id}\t{wave.status().value}\t{wave.name}")
        return
    if output is None:
        raise click.UsageError("--output is required (or --list)")
    options = export.ExportOptions(
        comments=comments, small_teams=include_small_teams, team_names=team_names
    )
    try:
        waves = export.check(list(wave_ids), options, role="admin")
        if as_zip:
            output.parent.mkdir(parents=True, exist_ok=True)
            tmp = output.with_name(f".{output.name}.tmp")
            try:
                with open(tmp, "wb") as out:
                    names = export.to_zip(waves, options, out)
                tmp.replace(output)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            names = export.to_folder(waves, options, output)
    except export.ExportError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write {output} ({error.strerror})") from None
    click.echo(f"Wrote {len(names)} files to {output}: {', '.join(names)}")


@click.command("import")
@click.argument("data", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--instrument",
    "instrument_path",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The instrument file the answers follow (one the app has loaded).",
)
@click.option("--team-column", required=True, help="Column naming each row's team.")
@click.option("--name", required=True, help="Name of the new wave.")
@click.option(
    "--closed-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=(
        "Date the answers were collected by (YYYY-MM-DD, in the organisation's time zone; "
        "default today)."
    ),
)
@click.option("--team-size-column", default=None, help="Column holding each team's size, if any.")
@with_appcontext
def import_command(data, instrument_path, team_column, name, closed_on, team_size_column):
    """Import answers collected elsewhere as a closed wave: all rows or none."""
    import trust
    from surveys.services import imports

    _require_schema()
    try:
        given = trust.load_instrument(instrument_path)
    except trust.InstrumentError as error:
        raise click.ClickException(str(error)) from None
    try:
        loaded = imports.loaded_instrument(given)
    except imports.ImportRejectedError as rejected:  # about the instrument file, not the data
        raise click.ClickException(f"{instrument_path}: {rejected.errors[0].problem}") from None
    try:
        wave = imports.import_wave(
            data.read_bytes(),
            loaded,
            team_column=team_column,
            name=name,
            team_size_column=team_size_column,
            closed_on=closed_on.date() if closed_on else None,
        )
    except imports.ImportRejectedError as rejected:
        for error in rejected.errors:
            where = f"row {error.row}" if error.row else str(data)
            if error.column:
                where += f", column {error.column!r}"
            click.echo(f"{where}: {error.problem}", err=True)
        raise click.ClickException(f"nothing imported: {len(rejected.errors)} problem(s)") from None
    click.echo(f"Imported wave {wave.id} ({wave.name}), closed with its results stored.")


def init_app(app):
    app.cli.add_command(demo_command)
    app.cli.add_command(close_due_waves_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(check_instrument_command)
    app.cli.add_command(check_playbook_command)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(read_bounces_command)
