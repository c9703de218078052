"""`trustsurvey serve`: its settings, its refusals, and the served app under real HTTP."""

from __future__ import annotations

import os
import shutil
import signal
import threading

import pytest
from click.testing import CliRunner

from surveys import create_app, serve
from surveys.cli import main
from surveys.db import db
from tests.respond.survey_setup import create_survey, full_answers
from tests.served import SECRET_KEY, Respondent, Served, server_environment


def test_serve_settings_take_the_option_then_the_environment_then_the_default():
    environ = {"TRUSTSURVEY_BIND": "0.0.0.0:9000", "TRUSTSURVEY_THREADS": "8"}
    chosen = serve.settings(environ, threads=2)
    assert chosen.bind == "0.0.0.0:9000"
    assert chosen.threads == 2
    assert chosen.workers == serve.default_workers()
    assert chosen.timeout == 30
    assert serve.settings({}).bind == "127.0.0.1:8000"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"TRUSTSURVEY_WORKERS": "many"}, "TRUSTSURVEY_WORKERS must be a whole number"),
        ({"TRUSTSURVEY_THREADS": "0"}, "TRUSTSURVEY_THREADS must be at least 1"),
        ({"TRUSTSURVEY_TIMEOUT": "-5"}, "TRUSTSURVEY_TIMEOUT must be at least 1"),
    ],
)
def test_serve_names_a_bad_setting(environ, named):
    with pytest.raises(serve.ServeError, match=named):
        serve.settings(environ)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "TRUSTSURVEY_SECRET_KEY is not set"),
        ("", "TRUSTSURVEY_SECRET_KEY is not set"),
        ("changeme", "TRUSTSURVEY_SECRET_KEY has 8 characters"),
    ],
)
def test_serve_refuses_to_start_without_a_stable_secret_key(tmp_path, monkeypatch, key, message):
    monkeypatch.setenv("TRUSTSURVEY_INSTANCE", str(tmp_path / "instance"))
    if key is None:
        monkeypatch.delenv("TRUSTSURVEY_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("TRUSTSURVEY_SECRET_KEY", key)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert message in result.output
    # The demo's fallback, a key made up in the instance folder, is not taken up.
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_serve_refuses_a_database_without_the_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTSURVEY_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("TRUSTSURVEY_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "run `trustsurvey db upgrade` first" in result.output


@pytest.fixture
def served_sqlite(tmp_path, migrated_sqlite, monkeypatch):
    """A survey with 40 links in a SQLite file, and a server for it (started by the test)."""
    path = tmp_path / "served.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TRUSTSURVEY_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    survey = create_survey(app, members=40)
    env = server_environment(url, tmp_path / "instance")
    server = Served(env, tmp_path / "server.log", workers=3, threads=4)
    yield survey, server
    server.stop()
    with app.app_context():
        db.engine.dispose()


def answer_all(server: Served, tokens: list[str], attempts: int = 1) -> list[int]:
    """Every token answers at once (each in its own thread); the last status of each.

    With ``attempts`` above 1 a respondent sends again after a dropped connection or a 5xx,
    as a person would press the button again.
    """
    statuses: list[int] = [0] * len(tokens)
    start = threading.Barrier(len(tokens), timeout=30)

    def run(i: int) -> None:
        respondent = Respondent(server.address, tokens[i])
        start.wait()
        for _attempt in range(attempts):
            try:
                if not respondent.csrf and respondent.open().status != 200:
                    continue
                statuses[i] = respondent.answer(full_answers(1 + i % 5)).status
            except OSError:
                statuses[i] = -1
            if statuses[i] in (303, 409):
                return

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return statuses


def test_served_sqlite_takes_40_simultaneous_submissions_without_database_is_locked(
    served_sqlite,
):
    survey, server = served_sqlite
    server.start()
    statuses = answer_all(server, survey.tokens)
    assert statuses == [303] * 40
    assert survey.counts() == (40, 0, 40)
    assert "database is locked" not in server.log.read_text()


def test_killing_a_worker_during_submissions_loses_no_acknowledged_response(served_sqlite):
    survey, server = served_sqlite
    server.start()
    victim = server.worker_pids()[0]
    killer = threading.Timer(0.05, lambda: os.kill(victim, signal.SIGKILL))
    killer.start()
    statuses = answer_all(server, survey.tokens, attempts=5)
    killer.join()
    responses, _comments, used = survey.counts()
    # Every link ends answered: acknowledged (303), or stored by an attempt whose reply was
    # lost with the worker, which the next attempt learns (409, "already answered").
    assert set(statuses) <= {303, 409}
    assert responses == used == 40
    assert victim not in server.worker_pids()
    assert len(server.worker_pids()) == 3  # the master replaced it
