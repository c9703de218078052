"""App commands on a database whose schema is missing or old, and the CLI as a module."""

import os
import subprocess
import sys

import flask_migrate
import pytest

from surveys.db import MIGRATIONS
from tests.conftest import HEADS

(HEAD,) = HEADS  # the newest migration; branches add theirs

NO_TABLES = "Error: the database has no tables yet: run `trustsurvey db upgrade` first\n"


def downgraded(app, revision: str):
    with app.app_context():
        flask_migrate.downgrade(directory=MIGRATIONS, revision=revision)
    return app


@pytest.mark.parametrize(
    "args",
    [["create-user", "a@example.org", "--role", "admin", "--password-stdin"], ["close-due-waves"]],
)
def test_commands_before_db_upgrade_say_to_run_it_in_one_line(make_app, backend, args):
    app = downgraded(make_app(backend), "base")
    result = app.test_cli_runner().invoke(args=args, input="long enough pw\n")
    assert result.exit_code == 1
    assert result.output == NO_TABLES
    assert isinstance(result.exception, SystemExit)  # handled, not a traceback


def test_commands_on_an_older_schema_say_to_upgrade(make_app):
    app = downgraded(make_app(), "0001")
    result = app.test_cli_runner().invoke(args=["close-due-waves"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: the database schema is at migration 0001, this version of trustsurvey needs "
        f"{HEAD}: run `trustsurvey db upgrade` first\n"
    )


def _cli(tmp_path, *args, stdin=""):
    env = {**os.environ, "TRUSTSURVEY_INSTANCE": str(tmp_path / "instance")}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "surveys.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_python_dash_m_surveys_cli_runs_the_commands(tmp_path):
    helped = _cli(tmp_path, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "create-user" in helped.stdout and "close-due-waves" in helped.stdout
    create_admin = ("create-user", "a@example.org", "--role", "admin", "--password-stdin")
    # A fresh SQLite file, before `db upgrade`: one line on stderr, no traceback.
    created = _cli(tmp_path, *create_admin, stdin="long enough pw\n")
    assert (created.returncode, created.stderr) == (1, NO_TABLES)
    assert _cli(tmp_path, "db", "upgrade").returncode == 0
    created = _cli(tmp_path, *create_admin, stdin="long enough pw\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout == "Created admin a@example.org.\n"


def test_a_command_and_a_served_worker_leave_their_startup_objects_to_reference_counting(
    tmp_path,
):
    # The app a command runs on (and each `trustsurvey serve` worker) is frozen out of the
    # cyclic collector's passes, which walked its half a million objects again and again
    # during a close or a heatmap (surveys.serve.freeze_startup_objects).
    env = {**os.environ, "TRUSTSURVEY_INSTANCE": str(tmp_path / "instance")}
    env.pop("DATABASE_URL", None)
    script = (
        "import gc; from surveys.cli import _create_app; "
        "before = gc.get_freeze_count(); _create_app(); "
        "print(before, gc.get_freeze_count(), gc.isenabled())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    before, after, enabled = done.stdout.split()
    assert int(before) == 0 and int(after) > 100_000 and enabled == "True"
