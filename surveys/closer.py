"""Closing waves when their close date passes, in the background of each serving process.

A page view must not write (a GET that closes a wave would compute every statistic while a
facilitator waits), and an install without cron must still close its waves. So the first
request a process serves starts one daemon thread that closes due waves every
``CLOSE_DUE_INTERVAL`` seconds. Several processes may run it: closing is claimed by a
conditional UPDATE (:func:`surveys.services.waves.close`), so each wave closes once.
``trustsurvey close-due-waves`` does the same from cron; an interval of 0 turns the thread off.
"""

from __future__ import annotations

import threading

from flask import Flask


def close_due_once(app: Flask) -> int:
    """Close every due wave now; how many this call closed. Failures are logged, not raised."""
    from surveys.services import waves

    with app.app_context():
        closed, failed = waves.close_due()
        for wave, error in failed:
            app.logger.error("closing wave %s failed: %s", wave.id, error)
        return len(closed)


def _run(app: Flask, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            close_due_once(app)
        except Exception:  # the database may be away for a while; try again next time
            app.logger.exception("closing due waves failed")


def init_app(app: Flask) -> None:
    interval = float(app.config.get("CLOSE_DUE_INTERVAL", 0))
    if interval <= 0:
        return
    started = threading.Lock()
    stop = threading.Event()
    app.extensions["closer_stop"] = stop

    @app.before_request
    def start_closer() -> None:
        if started.acquire(blocking=False):
            threading.Thread(
                target=_run, args=(app, interval, stop), name="close-due-waves", daemon=True
            ).start()
