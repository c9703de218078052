"""The `trustsurvey` console script: Flask's commands plus the project's own.

`trustsurvey analyze` is a researcher's tool on a CSV: it runs on trust/ (NumPy, SciPy) and
click alone, without importing Flask or the app, which would cost it a third of a second.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from functools import cache
from pathlib import Path

import click


def _create_app():
    from surveys import create_app
    from surveys.serve import freeze_startup_objects

    app = create_app()
    freeze_startup_objects()  # as each worker of `trustsurvey serve` does
    return app


class _Trustsurvey(click.Group):
    """The console script: `analyze` runs here on its own; any other command, and the
    command list, go to the Flask command group, imported only then."""

    def main(self, args=None, **extra):
        given = list(sys.argv[1:] if args is None else args)
        if given[:1] == [analyze_command.name]:
            return super().main(given, **extra)
        return _flask_commands().main(given, **extra)


@cache
def _flask_commands() -> click.Group:
    from flask.cli import FlaskGroup

    group = FlaskGroup(
        name=main.name, help=main.help, create_app=_create_app, add_version_option=False
    )
    for command in main.commands.values():
        group.add_command(command)
    return group


main = _Trustsurvey(name="trustsurvey", help="trustsurvey: anonymous team-trust surveys.")


@click.command("analyze")
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--instrument",
    "instrument_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Instrument TOML file describing scales, items and response scales.",
)
@click.option("--team-column", required=True, help="CSV column holding the team label.")
@click.option(
    "--team-size-column",
    default=None,
    help="CSV column holding the team's roster size (finite-population correction).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: everything; csv: one row per team and scale.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of standard output (nothing is written on error).",
)
def analyze_command(data, instrument_path, team_column, team_size_column, fmt, output):
    """Run the psychometric analysis on a survey CSV (no app or database needed)."""
    # Its matrix products are narrow (respondents x one scale's items): BLAS threads would
    # only wait for each other, which on a busy machine took several times the arithmetic.
    # It counts only before NumPy loads, as in the console script; a process that has
    # NumPy already keeps its setting.
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Reference counting frees what a run makes; the cyclic collector's passes over the
    # imports and the per-team results (a tenth of the time of 5,000 teams,
    # bench/bench_analyze_cli.py) free nothing more, so they wait until the run is over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _analyze(data, instrument_path, team_column, team_size_column, fmt, output)
    finally:
        if collecting:
            gc.enable()


def _analyze(data, instrument_path, team_column, team_size_column, fmt, output):
    """The analysis of ``data``, written to ``output`` or standard output; exits 2 on bad
    input, 1 when the output cannot be written."""
    import trust

    try:
        instrument = trust.load_instrument(instrument_path)
        table = trust.read_survey_csv(data, instrument, team_column, team_size_column)
        analysis = trust.analyze(table.answers, table.team, instrument, team_size=table.team_size)
    except (trust.InstrumentError, trust.SurveyTableError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    del table  # the answers are not needed to write the result: their memory is reused
    result = analysis.to_json()
    text = _json_text(result) if fmt == "json" else trust.analysis_csv(result)
    if output is None:
        click.echo(text, nl=False)
        return
    # Write beside the target, then rename: a reader never sees a half-written file.
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        click.echo(f"Error: cannot write {output} ({exc.strerror})", err=True)
        sys.exit(1)


def _json_text(result: dict) -> str:
    """Indented JSON, with each team on one compact line: as readable, and several times
    faster to write for thousands of teams than indenting every team's numbers."""
    teams = result["teams"]
    head = json.dumps({**result, "teams": {}}, indent=2, ensure_ascii=False)
    if not teams:
        return head + "\n"
    lines = ",\n".join(
        f"    {json.dumps(label, ensure_ascii=False)}: {json.dumps(info, ensure_ascii=False)}"
        for label, info in teams.items()
    )
    return head.replace('"teams": {}', '"teams": {\n' + lines + "\n  }", 1) + "\n"


main.add_command(analyze_command)


@click.command("serve")
@click.option("--bind", default=None, help="Address:port to listen on [TRUSTSURVEY_BIND].")
@click.option("--workers", default=None, type=int, help="Worker processes [TRUSTSURVEY_WORKERS].")
@click.option("--threads", default=None, type=int, help="Threads per worker [TRUSTSURVEY_THREADS].")
@click.option(
    "--timeout", default=None, type=int, help="Seconds before a stuck worker is restarted."
)
def serve_command(bind, workers, threads, timeout):
    """Serve the app with gunicorn (settings from the environment; see the README)."""
    from surveys import serve

    try:
        chosen = serve.settings(bind=bind, workers=workers, threads=threads, timeout=timeout)
        serve.check_before_serving()
    except serve.ServeError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(
        f"Serving on {chosen.bind}: {chosen.workers} workers x {chosen.threads} threads.",
        err=True,
    )
    serve.run(chosen)


main.add_command(serve_command)


if __name__ == "__main__":
    main()
