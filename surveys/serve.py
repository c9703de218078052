"""`trustsurvey serve`: the app under gunicorn, with its settings from the environment.

Flask's own server (what `trustsurvey demo` uses) serves one machine's demo; it is not made
to stay up under load or to survive a process dying. gunicorn runs a master that restarts any
worker that dies or hangs, and each worker answers with a few threads, since a request mostly
waits on the database.

gunicorn reads a request's body in the worker thread that serves it, so a client that sends
its body slowly holds a thread all along. The deployment in the README puts nginx in front,
which reads whole requests before passing them on; the app's port is then reachable from
nginx only (127.0.0.1 by default).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

# A key shorter than this is not a random key (a word, a placeholder): invitation links and
# sessions are signed with it, so a guessable one lets anyone answer as anyone.
MIN_SECRET_KEY_LENGTH = 32


class ServeError(Exception):
    """A setting that stops the server from starting; the message says which and why."""


@dataclass(frozen=True)
class ServeSettings:
    bind: str
    workers: int
    threads: int
    timeout: int
    access_log: bool


def default_workers() -> int:
    """gunicorn's advice of two workers per core plus one: a worker waiting on the database
    leaves its core to another."""
    return 2 * (os.cpu_count() or 1) + 1


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ServeError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ServeError(f"{name} must be at least 1, not {number}")
    return number


def settings(environ=None, **given) -> ServeSettings:
    """The server's settings: a command-line option, else its environment variable, else the
    default. Raises ServeError naming a bad value."""
    environ = os.environ if environ is None else environ

    def pick(option: str, variable: str, default: str) -> str:
        value = given.get(option)
        if value is not None:
            return str(value)
        return environ.get(variable, "").strip() or default

    return ServeSettings(
        bind=pick("bind", "TRUSTSURVEY_BIND", "127.0.0.1:8000"),
        workers=_positive_int(
            "TRUSTSURVEY_WORKERS", pick("workers", "TRUSTSURVEY_WORKERS", str(default_workers()))
        ),
        threads=_positive_int("TRUSTSURVEY_THREADS", pick("threads", "TRUSTSURVEY_THREADS", "4")),
        timeout=_positive_int("TRUSTSURVEY_TIMEOUT", pick("timeout", "TRUSTSURVEY_TIMEOUT", "30")),
        access_log=environ.get("TRUSTSURVEY_ACCESS_LOG", "") == "1",
    )


def secret_key_problem(environ=None) -> str | None:
    """Why the environment's secret key is not fit to serve with, or None.

    The demo keeps a random key in its instance folder; a real deployment must not, since a
    second app server or a rebuilt container would make its own key, and every invitation
    link already handed out would stop working.
    """
    environ = os.environ if environ is None else environ
    key = environ.get("TRUSTSURVEY_SECRET_KEY", "")
    if not key.strip():
        return (
            "TRUSTSURVEY_SECRET_KEY is not set: set it to a random value kept with the "
            "deployment (invitation links are derived from it), e.g. the output of "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"TRUSTSURVEY_SECRET_KEY has {len(key)} characters; use a random value of at "
            f"least {MIN_SECRET_KEY_LENGTH}"
        )
    return None


def check_before_serving(environ=None) -> None:
    """Refuse to serve without a stable secret key or on a schema that is not the newest."""
    problem = secret_key_problem(environ)
    if problem is not None:
        raise ServeError(problem)
    from surveys import create_app
    from surveys import db as database

    app = create_app()
    with app.app_context():
        try:
            problem = database.schema_problem()
        finally:
            database.db.engine.dispose()  # no connection is inherited by the workers
    if problem is not None:
        raise ServeError(f"{problem}: run `trustsurvey db upgrade` first")


def freeze_startup_objects() -> None:
    """Leave the objects made so far (modules, classes, the app) out of every later pass of
    Python's cyclic garbage collector; call it once the app is built.

    A worker holds about half a million of them and none is garbage, yet each full pass
    walked them all, and a request that makes many objects (closing a wave of 100,000
    responses, the heatmap of 5,000 teams) set off several: they took a sixth to a third of
    its time (bench/bench_heatmap.py). Reference counting frees everything as before; only a
    reference cycle among these objects would now be kept, and they form none that ends.
    """
    gc.collect()
    gc.freeze()


def run(chosen: ServeSettings) -> None:
    """Start gunicorn in this process (returns when the server stops)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            options = {
                "bind": [part.strip() for part in chosen.bind.split(",") if part.strip()],
                "workers": chosen.workers,
                "threads": chosen.threads,
                "worker_class": "gthread",
                "timeout": chosen.timeout,
                # Respondent request lines are cleaned by surveys.security's log filter,
                # which gunicorn's access logger carries; still, nothing is logged unless
                # asked for.
                "accesslog": "-" if chosen.access_log else None,
                "proc_name": "trustsurvey",
            }
            # Newer gunicorn opens a control socket at one path per user; two installs (or a
            # bench beside a server) would fight over it, and nothing here uses it.
            if "control_socket_disable" in self.cfg.settings:
                options["control_socket_disable"] = True
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            # Each worker builds its own app after the fork: no database connection, lock or
            # background thread is shared between processes.
            from surveys import create_app

            app = create_app()
            freeze_startup_objects()
            return app

    Server().run()
